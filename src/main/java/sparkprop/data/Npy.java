package sparkprop.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's .npy array format (the members of an .npz): magic "\x93NUMPY", version, a header
 * length, a Python dict literal {'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28)},
 * then the data in C order. Only what digit datasets use is read: uint8 images, integer labels.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** The header of one array: its dtype descriptor and shape. */
    public record Header(String descr, long[] shape, boolean fortranOrder) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        /** Bytes per element, for the integer dtypes this reader accepts. */
        int itemSize(String name) {
            return switch (descr) {
                case "|u1", "<u1", "|i1", "<i1" -> 1;
                case "<u2", "<i2" -> 2;
                case "<u4", "<i4" -> 4;
                case "<u8", "<i8" -> 8;
                default -> throw new DataException(name + ": dtype '" + descr + "' is not supported (expected uint8"
                        + " images and integer labels)");
            };
        }
    }

    private Npy() {
    }

    public static Header readHeader(InputStream stream, String name) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        byte[] magic = IdxFormat.readBytes(in, 8, name, "npy magic and version");
        if (!Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) throw new DataException(name + ": not a .npy array (bad magic)");
        int major = magic[6];
        byte[] lengthBytes = IdxFormat.readBytes(in, major == 1 ? 2 : 4, name, "npy header length");
        ByteBuffer lb = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? lb.getShort() & 0xFFFF : lb.getInt() & 0xFFFFFFFFL;
        if (headerLength > 1 << 16) throw new DataException(name + ": npy header of " + headerLength + " bytes is implausible");
        String dict = new String(IdxFormat.readBytes(in, (int) headerLength, name, "npy header"), StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(dict), fortran = FORTRAN.matcher(dict), shape = SHAPE.matcher(dict);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new DataException(name + ": npy header is not understood: " + dict.trim());
        }
        return new Header(descr.group(1), dimensions(shape.group(1), name), fortran.group(1).equals("True"));
    }

    /** A shape tuple's sizes; Python 2's NumPy wrote them as longs ({@code (10L, 28L, 28L)}). */
    private static long[] dimensions(String tuple, String name) {
        String[] parts = Arrays.stream(tuple.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toArray(String[]::new);
        long[] dims = new long[parts.length];
        long elements = 1;
        for (int i = 0; i < parts.length; i++) {
            String d = parts[i].endsWith("L") ? parts[i].substring(0, parts[i].length() - 1) : parts[i];
            try {
                dims[i] = Long.parseLong(d);
                if (dims[i] < 0) throw new NumberFormatException();
                elements = Math.multiplyExact(elements, dims[i]);
            } catch (NumberFormatException e) {
                throw new DataException(name + ": npy shape (" + tuple + ") is not understood (expected sizes like (60000, 28, 28))");
            } catch (ArithmeticException e) {
                throw new DataException(name + ": npy shape (" + tuple + ") has more elements than can exist");
            }
        }
        return dims;
    }

    /** Reads a float32 or float64 array as floats (model weights). */
    public static float[] readFloats(InputStream in, Header header, String name) throws IOException {
        int item = switch (header.descr()) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            default -> throw new DataException(name + ": dtype '" + header.descr() + "', expected float32 (<f4) or float64 (<f8)");
        };
        long n = header.elements();
        if (n * item > Integer.MAX_VALUE - 16) throw new DataException(name + ": array of " + n + " elements is too large");
        ByteBuffer b = ByteBuffer.wrap(IdxFormat.readBytes(in, (int) (n * item), name, "array data")).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) n];
        for (int i = 0; i < n; i++) out[i] = item == 4 ? b.getFloat() : (float) b.getDouble();
        if (!header.fortranOrder() || header.shape().length < 2) return out;
        if (header.shape().length > 2) throw new DataException(name + ": Fortran-ordered arrays of more than 2 dimensions are not supported");
        // A transposed array (W.T) is saved column-major: turn it into C order.
        int rows = (int) header.shape()[0], cols = (int) header.shape()[1];
        float[] c = new float[out.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) c[i * cols + j] = out[j * rows + i];
        return c;
    }

    /** Bounds on the string arrays a model file holds (names of activations, the loss, the input scaling). */
    private static final int MAX_STRING = 256, MAX_STRINGS = 4096;

    /** Reads a one-string array (a scalar, or one element) such as a model's loss. */
    public static String readString(InputStream in, Header header, String name) throws IOException {
        String[] all = readStrings(in, header, name);
        if (all.length != 1) throw new DataException(name + ": holds " + all.length + " strings, expected one");
        return all[0];
    }

    /** Reads a fixed-width unicode array ('<U8') as strings, trailing NULs removed. */
    public static String[] readStrings(InputStream in, Header header, String name) throws IOException {
        if (!header.descr().startsWith("<U")) throw new DataException(name + ": dtype '" + header.descr() + "', expected strings (<U)");
        int chars;
        try {
            chars = Integer.parseInt(header.descr().substring(2));
        } catch (NumberFormatException e) {
            throw new DataException(name + ": dtype '" + header.descr() + "' is not understood (expected <U and a length, e.g. <U8)");
        }
        if (chars < 1 || chars > MAX_STRING) {
            throw new DataException(name + ": strings of " + chars + " characters; names here are 1.." + MAX_STRING + " long");
        }
        if (header.elements() > MAX_STRINGS) throw new DataException(name + ": " + header.elements() + " strings; at most " + MAX_STRINGS + " expected");
        int n = (int) header.elements();
        ByteBuffer b = ByteBuffer.wrap(IdxFormat.readBytes(in, n * chars * 4, name, "array data")).order(ByteOrder.LITTLE_ENDIAN);
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            StringBuilder s = new StringBuilder();
            for (int c = 0; c < chars; c++) {
                int cp = b.getInt();
                if (cp != 0) s.appendCodePoint(cp);
            }
            out[i] = s.toString();
        }
        return out;
    }

    /** A .npy file (version 1.0, C order) holding {@code data}, already little-endian, of dtype {@code descr}. */
    public static byte[] write(String descr, long[] shape, byte[] data) {
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) dims.append(shape[i]).append(shape.length == 1 ? "," : i < shape.length - 1 ? ", " : "");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
        int unpadded = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    public static byte[] floats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    /** Strings as a '<U{width}' array's data (UTF-32 LE, NUL-padded). */
    public static byte[] strings(String[] values, int width) {
        ByteBuffer b = ByteBuffer.allocate(4 * width * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (String v : values) {
            int[] cps = v.codePoints().toArray();
            for (int c = 0; c < width; c++) b.putInt(c < cps.length ? cps[c] : 0);
        }
        return b.array();
    }

    /** Reads the array's data as unsigned bytes; wider integer labels must fit in 0..255. */
    public static byte[] readUnsignedBytes(InputStream in, Header header, String name) throws IOException {
        if (header.fortranOrder() && header.shape().length > 1) throw new DataException(name + ": Fortran-ordered arrays are not supported");
        int item = header.itemSize(name);
        long n = header.elements();
        if (n * item > Integer.MAX_VALUE - 16) throw new DataException(name + ": array of " + n + " elements is too large");
        byte[] raw = IdxFormat.readBytes(in, (int) (n * item), name, "array data");
        if (item == 1) return raw;
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        byte[] out = new byte[(int) n];
        for (int i = 0; i < n; i++) {
            long v = switch (item) {
                case 2 -> b.getShort();
                case 4 -> b.getInt();
                default -> b.getLong();
            };
            if (v < 0 || v > 255) throw new DataException(name + ": value " + v + " at index " + i + " is outside 0..255");
            out[i] = (byte) v;
        }
        return out;
    }
}
