package sparkprop.train;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A {@link GradientSum} as tasks send it: exact, and about 4 bytes a value. Little-endian:
 * <pre>
 *   offset  size  field
 *   0       4     int32 n, the number of values
 *   4       4     int32 examples summed
 *   8       1     1 if some value or loss was out of range (divergence), else 0
 *   9       8     int64 loss sum in fixed point (see FixedPoint)
 *   17      ...   ceil(n / 64) blocks of 64 values; a block is
 *                   1 byte   w, the bit width of its largest zigzagged value (0..64)
 *                   8w bytes the 64 zigzagged values, w bits each, packed from the low bit of the
 *                            first int64 up (a value may straddle two words); a short last block
 *                            is padded with zeros
 * </pre>
 * An all-zero block (blank pixels) takes one byte. Packing is branch-free, unlike varints: on
 * 784-1024-1024-10 (1.9M values) varints cost 14 ms to write and 11 ms to read per task result, on
 * the step's critical path; the other cost the format keeps down is a result over Spark's
 * direct-result size (see {@link Trainer#tune}).
 */
public final class PackedSum {
    static final int BLOCK = 64;
    static final int HEADER = 4 + 4 + 1 + 8;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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
        int n = values.length, blocks = (n + BLOCK - 1) / BLOCK;
        byte[] widths = new byte[blocks];
        long size = HEADER + blocks;
        for (int b = 0; b < blocks; b++) {
            long bits = 0;
            for (int i = b * BLOCK, end = Math.min(n, i + BLOCK); i < end; i++) bits |= zigzag(values[i]);
            widths[b] = (byte) (64 - Long.numberOfLeadingZeros(bits));
            size += 8L * widths[b];
        }
        if (size > Integer.MAX_VALUE - 16) throw new IllegalStateException("a gradient sum of " + size + " bytes is too large to send");
        byte[] out = new byte[(int) size];
        ByteBuffer buf = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(n).putInt(examples).put((byte) (overflow ? 1 : 0)).putLong(loss);
        for (int b = 0; b < blocks; b++) {
            int width = widths[b];
            buf.put((byte) width);
            if (width == 0) continue;
            // 64 values of `width` bits fill exactly `width` longs.
            long word = 0;
            int used = 0;
            for (int i = 0, from = b * BLOCK; i < BLOCK; i++) {
                long v = from + i < n ? zigzag(values[from + i]) : 0;
                word |= v << used;
                used += width;
                if (used >= 64) {
                    buf.putLong(word);
                    used -= 64;
                    word = used == 0 ? 0 : v >>> (width - used);
                }
            }
        }
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
        int at = HEADER;
        long[] words = new long[BLOCK + 1];
        for (int from = 0; from < h.n(); from += BLOCK) at = addBlock(bytes, at, Math.min(BLOCK, h.n() - from), sum.gradient, from, words);
        checkEnd(bytes, at);
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
        int parts = sums.size(), n = out.length, blocks = (n + BLOCK - 1) / BLOCK;
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
        int chunks = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), blocks / 1024));
        // start[c][p]: where chunk c's first block is in part p, found by walking the width bytes.
        int[][] start = new int[chunks][parts];
        for (int p = 0; p < parts; p++) {
            byte[] bytes = sums.get(p);
            int at = HEADER;
            for (int b = 0, c = 0; b < blocks; b++) {
                if (c < chunks && b == chunkStart(c, chunks, blocks)) start[c++][p] = at;
                at += 1 + 8 * width(bytes, at);
            }
            checkEnd(bytes, at);
        }
        double f = FixedPoint.perExample(batch);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            long[] block = new long[BLOCK], words = new long[BLOCK + 1];
            int[] at = start[c].clone();
            for (int b = chunkStart(c, chunks, blocks), end = chunkStart(c + 1, chunks, blocks); b < end; b++) {
                int from = b * BLOCK, count = Math.min(BLOCK, n - from);
                for (int p = 0; p < parts; p++) at[p] = addBlock(sums.get(p), at[p], count, block, 0, words);
                for (int i = 0; i < count; i++) {
                    out[from + i] = (float) (block[i] * f);
                    block[i] = 0;
                }
            }
        });
        return new GradientSum.Totals(FixedPoint.lossValue(loss), examples, overflow);
    }

    private static int chunkStart(int c, int chunks, int blocks) {
        return (int) ((long) c * blocks / chunks);
    }

    /**
     * Adds the {@code count} values of the packed block at byte {@code at} into
     * {@code into[offset...]}; returns where the next block starts. {@code words} is scratch space
     * for BLOCK + 1 longs.
     */
    private static int addBlock(byte[] bytes, int at, int count, long[] into, int offset, long[] words) {
        int width = width(bytes, at);
        if (width == 0) return at + 1;
        for (int k = 0; k < width; k++) words[k] = (long) LONG_LE.get(bytes, at + 1 + 8 * k);
        words[width] = 0;
        long mask = width == 64 ? -1L : (1L << width) - 1;
        for (int i = 0; i < count; i++) {
            // Value i starts at bit i*width of the block's words; its high bits, if any, are the low
            // bits of the next word. Branch-free: the shift pair makes the high part 0 when the value
            // starts a word, and the mask drops it when the value fits in one.
            int bit = i * width, word = bit >>> 6, shift = bit & 63;
            long v = (words[word] >>> shift) | (words[word + 1] << 1 << (63 - shift));
            into[offset + i] += unzigzag(v & mask);
        }
        return at + 1 + 8 * width;
    }

    /** The width byte of the block at {@code at}, checked. */
    private static int width(byte[] bytes, int at) {
        if (at >= bytes.length) throw new IllegalArgumentException("not a gradient sum: it ends inside block data at byte " + at);
        int width = bytes[at];
        if (width < 0 || width > 64) throw new IllegalArgumentException("not a gradient sum: a block " + width + " bits wide");
        return width;
    }

    private static void checkEnd(byte[] bytes, int at) {
        if (at != bytes.length) throw new IllegalArgumentException("not a gradient sum: " + bytes.length + " bytes where " + at + " were expected");
    }

    private static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
