package sparkprop.collective;

import java.security.SecureRandom;

/** A run's secret beside Spark's own authentication: a message without it is refused. */
public record Token(long high, long low) implements java.io.Serializable {
    public static Token random() {
        SecureRandom random = new SecureRandom();
        return new Token(random.nextLong(), random.nextLong());
    }
}
