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
    public record Header(String descr, long[] shape) {
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
        if (fortran.group(1).equals("True")) throw new DataException(name + ": Fortran-ordered arrays are not supported");
        long[] dims = Arrays.stream(shape.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        return new Header(descr.group(1), dims);
    }

    /** Reads the array's data as unsigned bytes; wider integer labels must fit in 0..255. */
    public static byte[] readUnsignedBytes(InputStream in, Header header, String name) throws IOException {
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
