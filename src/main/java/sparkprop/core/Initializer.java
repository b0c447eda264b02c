package sparkprop.core;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Initial parameter values. Xavier/Glorot and He scale the weights by the layer width and start
 * biases at zero; they are what learns. The tutorial schemes are kept so their findings can be
 * reproduced: {@code normal} (a fixed std, 0.01 by default) with zero biases, and
 * {@code standard-normal}, {@code uniform} [0,1), {@code zeros} and {@code ones}, which set biases
 * the same way as weights, as the tutorials did. Constant schemes leave every hidden unit
 * identical, so those units can never become different and the net barely learns.
 */
public enum Initializer {
    NORMAL, STANDARD_NORMAL, UNIFORM, ZEROS, ONES, XAVIER, HE;

    /**
     * Fills {@code params} for {@code spec}; each layer draws from its own derived stream.
     *
     * @param std the standard deviation of {@link #NORMAL}; ignored by the others
     */
    public void initialize(NetworkSpec spec, float[] params, long seed, double std) {
        for (int l = 0; l < spec.layerCount(); l++) {
            SplittableRandom random = new SplittableRandom(Seeds.derive(seed, 0x1417, l));
            int in = spec.in(l), out = spec.out(l);
            int w = spec.weightOffset(l), b = spec.biasOffset(l);
            for (int i = 0; i < in * out; i++) params[w + i] = (float) weight(random, in, out, std);
            for (int i = 0; i < out; i++) params[b + i] = (float) bias(random);
        }
    }

    private double weight(SplittableRandom random, int in, int out, double std) {
        return switch (this) {
            case NORMAL -> std * random.nextGaussian();
            case STANDARD_NORMAL -> random.nextGaussian();
            case UNIFORM -> random.nextDouble();
            case ZEROS -> 0;
            case ONES -> 1;
            // Glorot & Bengio 2010: uniform with variance 2 / (in + out).
            case XAVIER -> Math.sqrt(6.0 / (in + out)) * (2 * random.nextDouble() - 1);
            // He et al. 2015: normal with variance 2 / in, for ReLU.
            case HE -> Math.sqrt(2.0 / in) * random.nextGaussian();
        };
    }

    private double bias(SplittableRandom random) {
        return switch (this) {
            case STANDARD_NORMAL -> random.nextGaussian();
            case UNIFORM -> random.nextDouble();
            case ONES -> 1;
            default -> 0;
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Initializer parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        if (n.equals("glorot")) return XAVIER;
        for (Initializer i : values()) if (i.id().equals(n)) return i;
        throw new BadInputException("unknown init '" + name
                + "' (expected normal, standard-normal, uniform, zeros, ones, xavier or he)");
    }
}
