package sparkprop.core;

import java.util.Locale;

/**
 * The cost at the output layer and its gradient with respect to the output pre-activation z.
 *
 * <p>Per example with one-hot target y: cross-entropy is -log p_y with p = softmax(z), fused so
 * that dz = p - y; mean squared error is ½‖a - y‖² (the tutorials' quadratic cost) with a = f(z)
 * for any output activation f, so dz is a - y taken back through f. Losses and gradients are sums over the
 * batch; callers divide by the global batch size once.
 */
public enum Loss {
    /** Cross-entropy on a softmax output: the fused gradient p - y. */
    CE(Activation.SOFTMAX, "softmax") {
        @Override
        public boolean accepts(Activation output) {
            return output == Activation.SOFTMAX;
        }

        @Override
        public double loss(float[] a, int[] labels, int k, int batch) {
            double loss = 0;
            // Clamp so that a confidently wrong net reports a large, finite loss.
            for (int j = 0; j < batch; j++) loss -= Math.log(Math.max(a[j * k + labels[j]], 1e-30f));
            return loss;
        }

        @Override
        void delta(Activation output, float[] a, int[] labels, int k, int batch, float[] scratch) {
            for (int j = 0; j < batch; j++) a[j * k + labels[j]] -= 1f;
        }

        @Override
        public double referenceLoss(Activation output, double[] z, int label) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z) max = Math.max(max, v);
            double sum = 0;
            for (double v : z) sum += Math.exp(v - max);
            return -(z[label] - max - Math.log(sum));
        }
    },
    /** Half the squared error on any output: da = a - y, then the output's own derivative. */
    MSE(Activation.SIGMOID, "any activation") {
        @Override
        public boolean accepts(Activation output) {
            return true;
        }

        @Override
        public double loss(float[] a, int[] labels, int k, int batch) {
            double loss = 0;
            for (int j = 0; j < batch; j++) {
                for (int i = 0; i < k; i++) {
                    float d = a[j * k + i] - (i == labels[j] ? 1f : 0f);
                    loss += 0.5 * d * d;
                }
            }
            return loss;
        }

        @Override
        void delta(Activation output, float[] a, int[] labels, int k, int batch, float[] da) {
            for (int j = 0; j < batch; j++) {
                for (int i = 0; i < k; i++) da[j * k + i] = a[j * k + i] - (i == labels[j] ? 1f : 0f);
            }
            // Changing the cost changes only this delta: the output's derivative is the activation's own.
            output.backward(a, da, a, k, batch);
        }

        @Override
        public double referenceLoss(Activation output, double[] z, int label) {
            double loss = 0;
            double[] a = output.apply(z);
            for (int i = 0; i < z.length; i++) {
                double d = a[i] - (i == label ? 1 : 0);
                loss += 0.5 * d * d;
            }
            return loss;
        }
    };

    private final Activation defaultOutput;
    private final String outputs;

    Loss(Activation defaultOutput, String outputs) {
        this.defaultOutput = defaultOutput;
        this.outputs = outputs;
    }

    /** The output activation this loss uses when the user does not choose one. */
    public Activation defaultOutput() {
        return defaultOutput;
    }

    /** Whether an output activation can be paired with this loss. */
    public abstract boolean accepts(Activation output);

    /** The output activations {@link #accepts} takes, for messages: "softmax", "any activation". */
    public String outputs() {
        return outputs;
    }

    /**
     * The summed loss of a batch, for scoring.
     *
     * @param a      (k, batch) outputs of the output activation
     * @param labels class index of each example
     */
    public abstract double loss(float[] a, int[] labels, int k, int batch);

    /** Overwrites the outputs {@code a} with dz; {@code scratch} holds at least k * batch floats it may overwrite. */
    abstract void delta(Activation output, float[] a, int[] labels, int k, int batch, float[] scratch);

    /**
     * For training: the summed loss of a batch, then the outputs overwritten with dz.
     *
     * @param a       (k, batch) outputs of the {@code output} activation; becomes dz
     * @param scratch at least k * batch floats this may overwrite (the caller's buffer, so a step allocates nothing)
     */
    public final double lossAndDelta(Activation output, float[] a, int[] labels, int k, int batch, float[] scratch) {
        double loss = loss(a, labels, k, batch);
        delta(output, a, labels, k, batch, scratch);
        return loss;
    }

    /**
     * The loss of one example in double precision from its output pre-activations z, for the
     * gradient check's reference.
     */
    public abstract double referenceLoss(Activation output, double[] z, int label);

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Loss parse(String name) {
        for (Loss l : values()) {
            if (l.id().equals(name.trim().toLowerCase(Locale.ROOT))) return l;
        }
        throw new BadInputException("unknown loss '" + name + "' (expected ce or mse)");
    }
}
