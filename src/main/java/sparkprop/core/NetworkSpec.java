package sparkprop.core;

import java.util.Arrays;

/**
 * What a fully-connected network is, without its weights: layer sizes, the hidden and output
 * activations and the loss. Immutable; the parameters live in one flat float array owned by the
 * caller, laid out layer after layer as W (out, in) column-major followed by b (out).
 *
 * <p>Column-major W (out, in) is byte-identical to a row-major (in, out) matrix, the Keras/NumPy
 * convention {@code x @ W + b}, which is how the model file and exports describe it.
 */
public record NetworkSpec(int[] sizes, Activation hidden, Activation output, Loss loss) implements java.io.Serializable {

    public NetworkSpec {
        if (sizes == null || sizes.length < 2) {
            throw new BadInputException("layers needs at least an input and an output size, got "
                    + (sizes == null ? "nothing" : Arrays.toString(sizes)));
        }
        sizes = sizes.clone();
        for (int s : sizes) {
            if (s <= 0) throw new BadInputException("layer sizes must be positive, got " + Arrays.toString(sizes));
        }
        if (!loss.accepts(output)) {
            throw new BadInputException("output activation " + output.id() + " does not fit loss " + loss.id()
                    + " (" + loss.id() + " takes " + loss.outputs() + ")");
        }
        long count = 0;
        for (int l = 1; l < sizes.length; l++) count += (long) sizes[l - 1] * sizes[l] + sizes[l];
        if (count > Integer.MAX_VALUE - 16) {
            throw new BadInputException("network " + Arrays.toString(sizes) + " has " + count
                    + " parameters, more than one float array can hold");
        }
    }

    /** A spec with the output activation the loss implies. */
    public static NetworkSpec of(int[] sizes, Activation hidden, Loss loss) {
        return new NetworkSpec(sizes, hidden, loss.defaultOutput(), loss);
    }

    @Override
    public int[] sizes() {
        return sizes.clone();
    }

    public int layerCount() {
        return sizes.length - 1;
    }

    public int inputSize() {
        return sizes[0];
    }

    public int outputSize() {
        return sizes[sizes.length - 1];
    }

    /** Width of layer l's input (l from 0). */
    public int in(int l) {
        return sizes[l];
    }

    /** Width of layer l's output (l from 0). */
    public int out(int l) {
        return sizes[l + 1];
    }

    public Activation activation(int l) {
        return l == layerCount() - 1 ? output : hidden;
    }

    /** Offset of W of layer l in the flat parameter array. */
    public int weightOffset(int l) {
        int offset = 0;
        for (int i = 0; i < l; i++) offset += sizes[i] * sizes[i + 1] + sizes[i + 1];
        return offset;
    }

    /** Offset of b of layer l in the flat parameter array. */
    public int biasOffset(int l) {
        return weightOffset(l) + sizes[l] * sizes[l + 1];
    }

    public int parameterCount() {
        return weightOffset(layerCount());
    }

    /** Multiply-adds of one example's forward pass; backward costs about twice as much. */
    public long multiplyAddsPerExample() {
        long m = 0;
        for (int l = 0; l < layerCount(); l++) m += (long) sizes[l] * sizes[l + 1];
        return m;
    }

    /** "784-100-10", as people write layer sizes. */
    public String describeSizes() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < sizes.length; i++) s.append(i == 0 ? "" : "-").append(sizes[i]);
        return s.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkSpec n && Arrays.equals(sizes, n.sizes) && hidden == n.hidden
                && output == n.output && loss == n.loss;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sizes) * 31 + hidden.hashCode() * 7 + output.hashCode() * 3 + loss.hashCode();
    }

    @Override
    public String toString() {
        return describeSizes() + " " + hidden.id() + "/" + output.id() + " " + loss.id();
    }
}
