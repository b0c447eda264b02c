package sparkprop.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import sparkprop.collective.PackedLongs;

/**
 * A {@link GradientSum} as tasks send it: exact, and about 4 bytes a value, its values packed by
 * {@link PackedLongs}. Little-endian:
 * <pre>
 *   offset  size  field
 *   0       4     int32 n, the number of values
 *   4       4     int32 examples summed
 *   8       1     1 if some value or loss was out of range (divergence), else 0
 *   9       8     int64 loss sum in fixed point (see FixedPoint)
 *   17      ...   the n values, packed (PackedLongs: blocks of 64, each as wide as its widest value)
 * </pre>
 * The other cost the format keeps down is a result over Spark's direct-result size (see
 * {@link Trainer#tune}).
 */
public final class PackedSum {
    static final int BLOCK = PackedLongs.BLOCK;
    static final int HEADER = 4 + 4 + 1 + 8;

    private PackedSum() {
    }

    /** The header fields, and where the first block starts. */
    private record Header(int n, int examples, boolean overflow, long loss) {
        static Header of(byte[] bytes) {
            if (bytes.length < HEADER) throw new IllegalArgumentException("not a gradient sum: " + bytes.length + " bytes");
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            return new Header(buf.getInt(), buf.getInt(), buf.get() != 0, buf.getLong());
        }
    }

    public static byte[] encode(GradientSum sum) {
        return encode(sum.gradient, sum.examples, sum.overflow, sum.loss);
    }

    static byte[] encode(long[] values, int examples, boolean overflow, long loss) {
        byte[] widths = PackedLongs.widths(values, 0, values.length);
        long size = HEADER + PackedLongs.size(widths);
        if (size > Integer.MAX_VALUE - 16) throw new IllegalStateException("a gradient sum of " + size + " bytes is too large to send");
        byte[] out = new byte[(int) size];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(values.length).putInt(examples).put((byte) (overflow ? 1 : 0)).putLong(loss);
        PackedLongs.write(values, 0, values.length, widths, out, HEADER);
        return out;
    }

    /** The sum a packed form holds. */
    public static GradientSum decode(byte[] bytes) {
        GradientSum sum = new GradientSum(Header.of(bytes).n());
        addInto(bytes, sum);
        return sum;
    }

    /** Adds a packed sum into {@code sum}. */
    public static void addInto(byte[] bytes, GradientSum sum) {
        Header h = Header.of(bytes);
        if (h.n() != sum.gradient.length) throw new IllegalArgumentException("a sum of " + h.n() + " values added to one of " + sum.gradient.length);
        sum.examples += h.examples();
        sum.overflow |= h.overflow();
        sum.loss += h.loss();
        checkEnd(bytes, PackedLongs.addInto(bytes, HEADER, h.n(), sum.gradient, 0));
    }

    /** Two packed sums as one (what the tree reduction does at each level). */
    public static byte[] merge(byte[] a, byte[] b) {
        GradientSum sum = decode(a);
        addInto(b, sum);
        return encode(sum);
    }

    /**
     * The driver's side of a step: adds packed sums and writes their mean gradient over
     * {@code batch} examples into {@code out}, the same floats as decoding, adding and calling
     * {@link GradientSum#meanGradient}. The exact total never exists as a whole (8 bytes a
     * parameter, 15 MB for 784-1024-1024-10): ranges of blocks are added and divided on all cores
     * at once, since the executors wait for the driver meanwhile. Each value depends only on its
     * own block, so the split does not change a bit.
     */
    public static GradientSum.Totals meanOf(List<byte[]> sums, float[] out, int batch) {
        int n = out.length;
        long loss = 0;
        int examples = 0;
        boolean overflow = false;
        for (byte[] sum : sums) {
            Header h = Header.of(sum);
            if (h.n() != n) throw new IllegalArgumentException("a sum of " + h.n() + " values for a gradient of " + n);
            examples += h.examples();
            overflow |= h.overflow();
            loss += h.loss();
        }
        double f = FixedPoint.perExample(batch);
        PackedLongs.addEach(sums, HEADER, n, (first, totals, count) -> {
            for (int i = 0; i < count; i++) out[first + i] = (float) (totals[i] * f);
        });
        return new GradientSum.Totals(FixedPoint.lossValue(loss), examples, overflow);
    }

    private static void checkEnd(byte[] bytes, int at) {
        if (at != bytes.length) throw new IllegalArgumentException("not a gradient sum: " + bytes.length + " bytes where " + at + " were expected");
    }
}
