package sparkprop.core;

/**
 * An exponential moving average of the parameters over training steps (Polyak averaging with a
 * forgetting factor). SGD with dropout ends wherever the last noisy steps left it; the average
 * of the recent iterates sits nearer the middle of that region and usually predicts better. The
 * trainer evaluates and saves the average; training itself continues from the raw parameters.
 */
public final class ParameterAverage {
    private ParameterAverage() {
    }

    /**
     * The decay used at global step {@code step} (0-based): {@code decay}, but lower while few steps
     * exist, (1 + t)/(10 + t), so the early average is not dominated by the initial weights.
     */
    public static float decayAt(double decay, long step) {
        return (float) Math.min(decay, (1.0 + step) / (10.0 + step));
    }

    /** average ← decay·average + (1 − decay)·params. */
    public static void update(float[] average, float[] params, float decay) {
        update(average, params, decay, 0, average.length);
    }

    /** The same on [from, to) alone (each value's average depends on that value alone). */
    public static void update(float[] average, float[] params, float decay, int from, int to) {
        float weight = 1f - decay;
        for (int i = from; i < to; i++) average[i] += weight * (params[i] - average[i]);
    }
}
