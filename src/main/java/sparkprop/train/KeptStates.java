package sparkprop.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import sparkprop.collective.Token;

/**
 * Per executor (JVM): the state a run's stage members here ended their last launch with ({@link Replica}'s wire form),
 * and the step it is before. The run's next launch starts from it instead of fetching the driver's broadcast, and the
 * driver's scoring jobs take the model they score from it (its parameters, or the moving average) when it is that
 * model, found by its digest: the driver's link then carries each epoch's model to no executor that holds it already,
 * so its traffic does not grow with the executors.
 */
final class KeptStates {
    private record Kept(long step, byte[] state) {
    }

    /** The digests of the two models a kept state holds (the average's null without --ema), worked out once per state. */
    private record Digests(byte[] state, byte[] params, byte[] average) {
    }

    private static final ConcurrentHashMap<Token, Kept> LAST = new ConcurrentHashMap<>();
    private static Digests digests; // of the newest state asked about; guarded by the class
    private static byte[] lastDigest; // and the last model found, decoded once for the tasks that score with it
    private static float[] lastModel;

    private KeptStates() {
    }

    /** Keeps a run's state before {@code step}; one run's per executor, not every run's. */
    static synchronized void keep(Token token, long step, byte[] state) {
        LAST.keySet().removeIf(other -> !other.equals(token));
        LAST.put(token, new Kept(step, state));
        lastDigest = null; // a model is found only while its state is kept
        lastModel = null;
    }

    /** The run's state kept here before {@code step}, or null. */
    static byte[] stateBefore(Token token, long step) {
        Kept kept = LAST.get(token);
        return kept != null && kept.step() == step ? kept.state() : null;
    }

    /** What the driver sends instead of a model an executor may hold: SHA-256 of its float32 values, little-endian. */
    static byte[] digest(float[] model) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * model.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(model);
        return sha256().digest(bytes.array());
    }

    /** The model kept here whose {@link #digest} this is (a kept state's parameters or moving average), or null. */
    static synchronized float[] model(byte[] digest) {
        if (lastModel != null && Arrays.equals(digest, lastDigest)) return lastModel;
        for (Kept kept : LAST.values()) {
            byte[] state = kept.state();
            if (digests == null || digests.state() != state) {
                Replica.Span average = Replica.averageIn(state);
                digests = new Digests(state, digestOf(state, Replica.paramsIn(state)), average.count() == 0 ? null : digestOf(state, average));
            }
            Replica.Span found = Arrays.equals(digest, digests.params()) ? Replica.paramsIn(state)
                    : digests.average() != null && Arrays.equals(digest, digests.average()) ? Replica.averageIn(state) : null;
            if (found != null) {
                lastDigest = digest;
                lastModel = found.read(state);
                return lastModel;
            }
        }
        return null;
    }

    /** {@link #digest} of the values a span of a state holds, read from their bytes as they are. */
    private static byte[] digestOf(byte[] state, Replica.Span span) {
        MessageDigest sha = sha256();
        sha.update(state, span.at(), 4 * span.count());
        return sha.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
