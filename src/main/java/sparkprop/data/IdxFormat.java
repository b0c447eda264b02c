package sparkprop.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The IDX format of the MNIST files: a big-endian header (magic 0x00000803 and count, rows,
 * columns for images; magic 0x00000801 and count for labels), then one unsigned byte per pixel or
 * label. Headers are validated before anything is allocated, so a header claiming 2^31 images
 * fails with a message instead of an out-of-memory.
 */
public final class IdxFormat {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;
    public static final int IMAGES_HEADER_BYTES = 16;
    public static final int LABELS_HEADER_BYTES = 8;

    public record ImagesHeader(int count, int rows, int cols) {
        public int width() {
            return rows * cols;
        }
    }

    private IdxFormat() {
    }

    public static ImagesHeader readImagesHeader(InputStream stream, String name) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        int magic = readInt(in, name, "magic number");
        if (magic != IMAGES_MAGIC) {
            throw new DataException(name + ": not an IDX images file: magic number was not 0x00000803, found "
                    + hex(magic) + describe(magic, 3));
        }
        int count = readInt(in, name, "image count");
        int rows = readInt(in, name, "row count");
        int cols = readInt(in, name, "column count");
        if (count <= 0 || rows <= 0 || cols <= 0) {
            throw new DataException(name + ": header says " + count + " images of " + rows + "x" + cols
                    + "; all three must be positive");
        }
        if ((long) rows * cols > 1 << 20 || (long) count * rows * cols > Integer.MAX_VALUE - 16) {
            throw new DataException(name + ": header says " + count + " images of " + rows + "x" + cols
                    + ", more than one file of this reader can hold");
        }
        return new ImagesHeader(count, rows, cols);
    }

    public static int readLabelsHeader(InputStream stream, String name) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        int magic = readInt(in, name, "magic number");
        if (magic != LABELS_MAGIC) {
            throw new DataException(name + ": not an IDX labels file: magic number was not 0x00000801, found "
                    + hex(magic) + describe(magic, 1));
        }
        int count = readInt(in, name, "label count");
        if (count <= 0) throw new DataException(name + ": header says " + count + " labels; it must be positive");
        return count;
    }

    /** Reads exactly {@code n} bytes, or fails naming the file as truncated. */
    public static byte[] readBytes(InputStream in, int n, String name, String what) throws IOException {
        // readNBytes grows its buffer as data arrives, so a lying header cannot force a huge allocation.
        byte[] bytes = in.readNBytes(n);
        if (bytes.length != n) {
            throw new DataException(name + ": truncated: expected " + n + " bytes of " + what + ", found " + bytes.length);
        }
        return bytes;
    }

    private static int readInt(DataInputStream in, String name, String field) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new DataException(name + ": truncated IDX header (no " + field + ")" , e);
        }
    }

    /** The magic's low byte is the dimension count and the one above it the type (0x08: unsigned byte). */
    private static String describe(int magic, int expectedDimensions) {
        if (magic == LABELS_MAGIC) return " (a labels file)";
        if (magic == IMAGES_MAGIC) return " (an images file)";
        if ((magic >>> 8) == 0x08) return " (" + (magic & 0xFF) + " dimensions, expected " + expectedDimensions + ")";
        if ((magic >>> 16) == 0 && (magic & 0xFF) == expectedDimensions) return " (element type 0x" + Integer.toHexString((magic >>> 8) & 0xFF)
                + ", expected unsigned bytes 0x08)";
        return "";
    }

    private static String hex(int v) {
        return String.format("0x%08X", v);
    }
}
