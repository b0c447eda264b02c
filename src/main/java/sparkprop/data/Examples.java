package sparkprop.data;

import sparkprop.core.InputScaling;
import java.io.Serializable;

/**
 * A block of examples packed as arrays, not one object per example: one label byte each, and the
 * inputs (count, width) row-major either as uint8 {@code pixels} (inputs are pixel/255: images,
 * and any table whose values are all whole numbers 0..255) or as float32 {@code values} (inputs as
 * they are: any other table). This is what partitions cache, so it costs the raw data's size.
 */
public record Examples(byte[] pixels, float[] values, byte[] labels, int count, int width) implements Serializable {
    /** Labels are kept as one unsigned byte each: class indices 0..255. */
    public static final int MAX_CLASSES = 256;

    private static final byte[] NONE = new byte[0];

    public Examples {
        long size = (long) count * width;
        boolean ok = values == null ? pixels.length == size : pixels.length == 0 && values.length == size;
        if (!ok || labels.length != count) {
            throw new IllegalArgumentException(count + " examples of width " + width + " need " + size + (values == null ? " pixel bytes" : " values")
                    + " and " + count + " labels, got " + (values == null ? pixels.length : values.length) + " and " + labels.length);
        }
    }

    /** uint8 examples: inputs are pixel/255. */
    public Examples(byte[] pixels, byte[] labels, int count, int width) {
        this(pixels, null, labels, count, width);
    }

    /** float32 examples: inputs are the values themselves. */
    public static Examples ofValues(float[] values, byte[] labels, int count, int width) {
        return new Examples(NONE, values, labels, count, width);
    }

    /** True for uint8 pixels (inputs pixel/255), false for float32 values. */
    public boolean isUint8() {
        return values == null;
    }

    /**
     * uint8 pixels as float32 values 0..255, unscaled: what a model trained on a float table (whose
     * inputs are the raw values) must be given.
     */
    public Examples pixelsAsValues() {
        if (values != null) return this;
        float[] v = new float[count * width];
        for (int i = 0; i < v.length; i++) v[i] = pixels[i] & 0xFF;
        return ofValues(v, labels, count, width);
    }

    public int label(int i) {
        return labels[i] & 0xFF;
    }

    /** Examples [first, first + n) as their own block. */
    public Examples slice(int first, int n) {
        byte[] l = new byte[n];
        System.arraycopy(labels, first, l, 0, n);
        if (values != null) return ofValues(java.util.Arrays.copyOfRange(values, first * width, (first + n) * width), l, n, width);
        byte[] p = new byte[n * width];
        System.arraycopy(pixels, first * width, p, 0, n * width);
        return new Examples(p, l, n, width);
    }

    /**
     * Writes examples {@code indices[from..from+n)} as network inputs (pixel/255, or the float
     * values), one column each, into {@code x} (width, n), and their labels into {@code y}.
     */
    public void toInputs(int[] indices, int from, int n, float[] x, int[] y) {
        final float scale = InputScaling.UINT8.scale();
        for (int j = 0; j < n; j++) {
            int e = indices[from + j];
            int src = e * width, dst = j * width;
            if (values != null) {
                System.arraycopy(values, src, x, dst, width);
            } else {
                for (int i = 0; i < width; i++) x[dst + i] = (pixels[src + i] & 0xFF) * scale;
            }
            y[j] = labels[e] & 0xFF;
        }
    }

    /** Examples [first, first + n) as inputs, in order. */
    public void toInputs(int first, int n, float[] x, int[] y) {
        final float scale = InputScaling.UINT8.scale();
        if (values != null) {
            System.arraycopy(values, first * width, x, 0, n * width);
        } else {
            for (int k = 0; k < n * width; k++) x[k] = (pixels[first * width + k] & 0xFF) * scale;
        }
        for (int j = 0; j < n; j++) y[j] = labels[first + j] & 0xFF;
    }

    /** Fails with the source's name when a label is not a class of a network with {@code classes} outputs. */
    public void checkLabels(int classes, String source, int firstIndex) {
        for (int i = 0; i < count; i++) {
            if ((labels[i] & 0xFF) >= classes) {
                throw new DataException(source + ": label " + (labels[i] & 0xFF) + " of example " + (firstIndex + i)
                        + " is out of range 0.." + (classes - 1));
            }
        }
    }
}
