package sparkprop.core;

/**
 * The max-norm constraint (Srivastava et al. 2014, used with dropout): after each update, every
 * unit's vector of incoming weights whose L2 norm exceeds the limit is scaled back onto the ball
 * of that radius. Biases are not constrained. It lets dropout nets use large learning rates
 * without their weights growing without bound.
 */
public final class MaxNorm {
    private MaxNorm() {
    }

    public static void apply(NetworkSpec spec, float[] params, float limit) {
        for (int l = 0; l < spec.layerCount(); l++) {
            int in = spec.in(l), out = spec.out(l), w = spec.weightOffset(l);
            // W is (out, in) column-major: unit o's incoming weights are W[o + i*out] for every i.
            double[] squared = new double[out];
            for (int i = 0; i < in; i++) {
                int column = w + i * out;
                for (int o = 0; o < out; o++) squared[o] += (double) params[column + o] * params[column + o];
            }
            float[] scale = new float[out];
            boolean any = false;
            for (int o = 0; o < out; o++) {
                double norm = Math.sqrt(squared[o]);
                scale[o] = norm > limit ? (float) (limit / norm) : 1f;
                any |= norm > limit;
            }
            if (!any) continue;
            for (int i = 0; i < in; i++) {
                int column = w + i * out;
                for (int o = 0; o < out; o++) params[column + o] *= scale[o];
            }
        }
    }
}
