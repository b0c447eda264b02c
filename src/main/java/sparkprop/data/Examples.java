package sparkprop.data;

import java.io.Serializable;

/**
 * A block of examples packed as bytes, not one object per example: pixels (count, width) row-major
 * uint8, one label byte each. This is what partitions cache, so it costs the raw data's size.
 */
public record Examples(byte[] pixels, byte[] labels, int count, int width) implements Serializable {
    public Examples {
        if ((long) count * width != pixels.length || labels.length != count) {
            throw new IllegalArgumentException(count + " examples of width " + width + " need " + (long) count * width
                    + " pixel bytes and " + count + " labels, got " + pixels.length + " and " + labels.length);
        }
    }

    public int label(int i) {
        return labels[i] & 0xFF;
    }

    /** Examples [first, first + n) as their own block. */
    public Examples slice(int first, int n) {
        byte[] p = new byte[n * width];
        System.arraycopy(pixels, first * width, p, 0, n * width);
        byte[] l = new byte[n];
        System.arraycopy(labels, first, l, 0, n);
        return new Examples(p, l, n, width);
    }

    /**
     * Writes examples {@code indices[from..from+n)} as network inputs x = pixel/255, one column
     * each, into {@code x} (width, n), and their labels into {@code y}.
     */
    public void toInputs(int[] indices, int from, int n, float[] x, int[] y) {
        final float scale = 1f / 255f;
        for (int j = 0; j < n; j++) {
            int e = indices[from + j];
            int src = e * width, dst = j * width;
            for (int i = 0; i < width; i++) x[dst + i] = (pixels[src + i] & 0xFF) * scale;
            y[j] = labels[e] & 0xFF;
        }
    }

    /** Examples [first, first + n) as inputs, in order. */
    public void toInputs(int first, int n, float[] x, int[] y) {
        final float scale = 1f / 255f;
        for (int k = 0; k < n * width; k++) x[k] = (pixels[first * width + k] & 0xFF) * scale;
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
