package sparkprop.core;

import java.util.SplittableRandom;

/**
 * Compares the kernel's analytic gradient with central differences of an independent reference:
 * a double-precision forward pass written as plain loops, sharing no code with {@link Backprop}.
 * Every parameter is perturbed, so a transposed weight, a wrong bias sum or a wrong activation
 * derivative shows up as a large error on the parameters it touches.
 */
public final class GradientCheck {
    /** Largest relative error over all parameters, where it was, and the two losses compared. */
    public record Result(NetworkSpec spec, double maxRelativeError, int worstParameter, double analytic,
                         double numeric, double kernelLoss, double referenceLoss) {
        public boolean passes(double tolerance) {
            return maxRelativeError <= tolerance && Math.abs(kernelLoss - referenceLoss) <= 1e-4 * Math.max(1, Math.abs(referenceLoss));
        }
    }

    private GradientCheck() {
    }

    /** Checks {@code spec} on a random batch with random parameters drawn from {@code seed}. */
    public static Result run(NetworkSpec spec, int batch, long seed) {
        return run(spec, batch, seed, Dropout.NONE);
    }

    /**
     * The same with dropout: both sides use the masks drawn from one seed, which makes the loss a
     * deterministic function of the parameters that finite differences can check.
     */
    public static Result run(NetworkSpec spec, int batch, long seed, Dropout dropout) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] params = new float[spec.parameterCount()];
        for (int i = 0; i < params.length; i++) params[i] = (float) (random.nextDouble() - 0.5);
        float[] x = new float[spec.inputSize() * batch];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextDouble();
        int[] labels = new int[batch];
        for (int j = 0; j < batch; j++) labels[j] = random.nextInt(spec.outputSize());

        float[] grad = new float[params.length];
        long maskSeed = random.nextLong();
        double kernelLoss = new Backprop(spec).lossAndGradient(params, x, labels, batch, grad, dropout, maskSeed);
        float[][] masks = new float[spec.layerCount()][];
        for (int l = 0; l < masks.length; l++) {
            masks[l] = new float[spec.in(l) * batch];
            if (dropout.rateBefore(l) > 0) dropout.fill(masks[l], masks[l].length, l, maskSeed);
            else java.util.Arrays.fill(masks[l], 1f);
        }

        double[] theta = new double[params.length];
        for (int i = 0; i < params.length; i++) theta[i] = params[i];
        double h = 1e-5, worst = 0, worstA = 0, worstN = 0;
        int worstIndex = -1;
        for (int i = 0; i < theta.length; i++) {
            double saved = theta[i];
            theta[i] = saved + h;
            double plus = referenceLoss(spec, theta, x, labels, batch, masks);
            theta[i] = saved - h;
            double minus = referenceLoss(spec, theta, x, labels, batch, masks);
            theta[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            // The analytic side is float32: errors below ~1e-4 of the scale are rounding, not bugs.
            double error = Math.abs(grad[i] - numeric) / Math.max(Math.abs(grad[i]) + Math.abs(numeric), 1e-4);
            if (error > worst || worstIndex < 0) {
                worst = error;
                worstIndex = i;
                worstA = grad[i];
                worstN = numeric;
            }
        }
        return new Result(spec, worst, worstIndex, worstA, worstN, kernelLoss, referenceLoss(spec, theta, x, labels, batch, masks));
    }

    /** Summed loss of the batch in double precision, example by example, neuron by neuron; masks[l] scales layer l's input. */
    static double referenceLoss(NetworkSpec spec, double[] theta, float[] x, int[] labels, int batch, float[][] masks) {
        double total = 0;
        for (int j = 0; j < batch; j++) {
            double[] a = new double[spec.inputSize()];
            for (int i = 0; i < a.length; i++) a[i] = x[j * a.length + i];
            // The documented layout, laid out here rather than read from the spec, so that a layout bug cannot pass on both sides:
            // per layer W (in, out) row-major, then b (out), layer after layer.
            int w = 0;
            for (int l = 0; l < spec.layerCount(); l++) {
                int in = spec.sizes()[l], out = spec.sizes()[l + 1], b = w + in * out;
                for (int i = 0; i < in; i++) a[i] *= masks[l][j * in + i];
                double[] z = new double[out];
                for (int o = 0; o < out; o++) {
                    double s = theta[b + o];
                    for (int i = 0; i < in; i++) s += theta[w + o + i * out] * a[i];
                    z[o] = s;
                }
                if (l == spec.layerCount() - 1) {
                    total += spec.loss().referenceLoss(spec.output(), z, labels[j]);
                } else {
                    a = spec.hidden().apply(z);
                }
                w = b + out;
            }
        }
        return total;
    }
}
