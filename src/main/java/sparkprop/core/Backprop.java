package sparkprop.core;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Forward and backward passes of a whole mini-batch, as matrix products on sgemm.
 *
 * <p>For layer l with input a (in, B), weights W (out, in), bias b (out), activation f:
 * <pre>
 *   forward:   z = W a + b·1ᵀ        a' = f(z)
 *   backward:  dW = dz aᵀ            db = dz·1          da = Wᵀ dz          dz_prev = da ⊙ f'(a)
 * </pre>
 * All matrices are column-major with one column per example, so a row-major batch of examples
 * is already the (in, B) input. Gradients are sums over the batch, not means.
 *
 * <p>With {@link Dropout} the input of layer l becomes a ⊙ m (m holds 0 or 1/(1 - rate)); that
 * product is what the layer multiplies and what dW uses, and going back, da is masked by the same m
 * before f'(a) of the undropped activation.
 *
 * <p>An instance owns reusable work buffers and is not thread-safe; keep one per thread.
 */
public final class Backprop {
    private final NetworkSpec spec;
    private final BLAS blas;
    private int capacity;
    private float[][] activations; // activations[l] = output of layer l-1, (sizes[l], capacity); [0] unused
    private float[] deltaA;        // (max hidden width, capacity)
    private float[] deltaB;        // (max width of any layer's output, capacity): also the loss's scratch
    private float[][] masks;       // masks[l]: dropout mask of layer l's input, (in(l), capacity), when used
    private float[][] dropped;     // dropped[l]: layer l's input times its mask

    public Backprop(NetworkSpec spec) {
        this(spec, Blas.get());
    }

    /** A kernel on a given BLAS backend (benchmarks compare them; everything else uses {@link Blas#get()}). */
    public Backprop(NetworkSpec spec, BLAS blas) {
        this.spec = spec;
        this.blas = blas;
    }

    public NetworkSpec spec() {
        return spec;
    }

    private void ensureCapacity(int batch) {
        if (batch <= capacity) return;
        capacity = batch;
        int[] sizes = spec.sizes();
        activations = new float[sizes.length][];
        int widest = 1;
        for (int l = 1; l < sizes.length; l++) {
            activations[l] = new float[sizes[l] * batch];
            if (l < sizes.length - 1) widest = Math.max(widest, sizes[l]);
        }
        deltaA = new float[widest * batch];
        deltaB = new float[Math.max(widest, sizes[sizes.length - 1]) * batch];
        masks = new float[sizes.length][];
        dropped = new float[sizes.length][];
    }

    /**
     * Runs the network on a batch.
     *
     * @param params flat parameters (see {@link NetworkSpec})
     * @param x      (in, batch) inputs
     * @return (out, batch) outputs; a view into this instance's buffer, valid until the next call
     */
    public float[] forward(float[] params, float[] x, int batch) {
        return forward(params, x, batch, Dropout.NONE, 0);
    }

    private float[] forward(float[] params, float[] x, int batch, Dropout dropout, long maskSeed) {
        ensureCapacity(batch);
        float[] input = x;
        for (int l = 0; l < spec.layerCount(); l++) {
            int in = spec.in(l), out = spec.out(l);
            if (dropout.rateBefore(l) > 0) input = drop(l, input, in * batch, dropout, maskSeed);
            float[] z = activations[l + 1]; // (out, batch)
            int bias = spec.biasOffset(l);
            for (int j = 0; j < batch; j++) System.arraycopy(params, bias, z, j * out, out);
            blas.sgemm("N", "N", out, batch, in, 1f, params, spec.weightOffset(l), out, input, 0, in, 1f, z, 0, out);
            spec.activation(l).forward(z, z, out, batch);
            input = z;
        }
        return activations[spec.layerCount()];
    }

    /** Draws layer l's input mask and returns the masked input (in this instance's buffer). */
    private float[] drop(int l, float[] input, int n, Dropout dropout, long maskSeed) {
        if (masks[l] == null) {
            masks[l] = new float[spec.in(l) * capacity];
            dropped[l] = new float[spec.in(l) * capacity];
        }
        float[] mask = masks[l], out = dropped[l];
        dropout.fill(mask, n, l, maskSeed);
        for (int i = 0; i < n; i++) out[i] = input[i] * mask[i];
        return out;
    }

    /**
     * Computes the summed loss of a batch and writes its summed gradient into {@code grad}.
     *
     * @param x      (in, batch) inputs
     * @param labels class of each example
     * @param grad   overwritten with dL/dparams summed over the batch; same layout as params
     * @return the loss summed over the batch
     */
    public double lossAndGradient(float[] params, float[] x, int[] labels, int batch, float[] grad) {
        return lossAndGradient(params, x, labels, batch, grad, Dropout.NONE, 0);
    }

    /**
     * The same with dropout: the masks are drawn from {@code maskSeed} (see {@link Dropout#fill}),
     * so the loss is a deterministic function of the parameters for a given seed.
     */
    public double lossAndGradient(float[] params, float[] x, int[] labels, int batch, float[] grad, Dropout dropout, long maskSeed) {
        float[] output = forward(params, x, batch, dropout, maskSeed);
        int layers = spec.layerCount();
        // deltaB is free until the first hidden layer's delta needs it.
        double loss = spec.loss().lossAndDelta(spec.output(), output, labels, spec.outputSize(), batch, deltaB);
        float[] dz = output;           // (out, batch), the output layer's delta
        float[] spare = deltaA;
        for (int l = layers - 1; l >= 0; l--) {
            int in = spec.in(l), out = spec.out(l);
            boolean masked = dropout.rateBefore(l) > 0;
            float[] input = masked ? dropped[l] : l == 0 ? x : activations[l]; // (in, batch), as the forward pass used it
            // dW = dz aᵀ
            blas.sgemm("N", "T", out, in, batch, 1f, dz, 0, out, input, 0, in, 0f, grad, spec.weightOffset(l), out);
            // db = dz·1
            int bias = spec.biasOffset(l);
            java.util.Arrays.fill(grad, bias, bias + out, 0f);
            for (int j = 0; j < batch; j++) {
                int o = j * out;
                for (int i = 0; i < out; i++) grad[bias + i] += dz[o + i];
            }
            if (l == 0) break;
            // da = Wᵀ dz, then dz_prev = da ⊙ f'(a)
            blas.sgemm("T", "N", in, batch, out, 1f, params, spec.weightOffset(l), out, dz, 0, out, 0f, spare, 0, in);
            if (masked) {
                float[] mask = masks[l];
                for (int i = 0, n = in * batch; i < n; i++) spare[i] *= mask[i];
            }
            spec.hidden().backward(activations[l], spare, spare, in, batch);
            float[] used = dz == output ? deltaB : dz;
            dz = spare;
            spare = used;
        }
        return loss;
    }

    /** Index of the largest output of each example; {@code output} is (k, batch). */
    public static void argmax(float[] output, int k, int batch, int[] predicted) {
        for (int j = 0; j < batch; j++) {
            int o = j * k, best = 0;
            for (int i = 1; i < k; i++) if (output[o + i] > output[o + best]) best = i;
            predicted[j] = best;
        }
    }
}
