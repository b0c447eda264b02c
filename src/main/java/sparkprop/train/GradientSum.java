package sparkprop.train;

import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Summed gradient and loss of a step, accumulated in fixed point so the result is exact and
 * independent of how shards are grouped into tasks and of the order tasks finish.
 *
 * <p>Floating-point addition is not associative: summing shard gradients as floats would make
 * the model depend on partitioning and scheduling. Here each shard's float gradient is rounded
 * once to a multiple of 2^-32 (a function of that shard alone) and the rest is integer addition,
 * so {@code local[1]}, {@code local[2]} and any cluster produce the same bits. A shard value beyond
 * ±2^20 (only reached when training diverges) marks the sum as overflowed instead of wrapping;
 * 2^20·2^32·(up to 2^11 shards) stays inside a long.
 */
public final class GradientSum implements Serializable {
    static final double SCALE = 0x1p32;
    static final double LIMIT = 0x1p20;
    private static final int BLOCK = 64;
    private static final int HEADER = 4 + 4 + 1 + 8;

    private final long[] gradient;
    private long loss;
    private int examples;
    private boolean overflow;

    public GradientSum(int parameters) {
        this.gradient = new long[parameters];
    }

    /** Adds one shard's summed float gradient and loss over {@code n} examples. */
    public void addShard(float[] shardGradient, double shardLoss, int n) {
        if (largestMagnitude(shardGradient) < LIMIT) {
            // The common case, without a branch per value so the loop vectorises: 3.5 ms -> 1.4 ms
            // for 1.9M values, once per shard and step. Math.rint (ties to even) rather than
            // Math.round only because it is faster; any fixed rounding keeps the sum exact.
            for (int i = 0; i < gradient.length; i++) gradient[i] += (long) Math.rint(shardGradient[i] * SCALE);
        } else {
            for (int i = 0; i < gradient.length; i++) {
                float g = shardGradient[i];
                if (!(Math.abs(g) < LIMIT)) { // also catches NaN
                    overflow = true;
                    continue;
                }
                gradient[i] += (long) Math.rint(g * SCALE);
            }
        }
        if (!(Math.abs(shardLoss) < LIMIT * 64)) {
            overflow = true;
        } else {
            loss += Math.round(shardLoss * SCALE / 64);
        }
        examples += n;
    }

    /** The largest |value|, or NaN if there is one (Math.max propagates it). */
    private static float largestMagnitude(float[] values) {
        float max = 0;
        for (float v : values) max = Math.max(max, Math.abs(v));
        return max;
    }

    /** Back to zero, for reuse across steps without reallocating the array. */
    public void clear() {
        Arrays.fill(gradient, 0);
        loss = 0;
        examples = 0;
        overflow = false;
    }

    /** Adds another partial sum into this one (exact, so any merge order gives the same result). */
    public GradientSum merge(GradientSum other) {
        for (int i = 0; i < gradient.length; i++) gradient[i] += other.gradient[i];
        loss += other.loss;
        examples += other.examples;
        overflow |= other.overflow;
        return this;
    }

    /** Writes the mean gradient over {@code batch} examples into {@code out}. */
    public void meanGradient(float[] out, int batch) {
        double f = perExample(batch);
        for (int i = 0; i < gradient.length; i++) out[i] = (float) (gradient[i] * f);
    }

    public double lossSum() {
        return lossValue(loss);
    }

    public int examples() {
        return examples;
    }

    /**
     * The sum as tasks send it, exact: a short header, then the zigzagged fixed-point values in
     * blocks of 64, each block bit-packed at the width of its largest value (so a block takes
     * exactly that many longs, and an all-zero block of blank pixels one byte). Typical gradients
     * take 4-5 bytes a value instead of 8. Packing is branch-free, unlike varints: on
     * 784-1024-1024-10 (1.9M values) varints cost 14 ms to write and 11 ms to read per task result,
     * on the step's critical path; the other cost the format keeps down is a result over Spark's
     * direct-result size (see {@link Trainer#tune}).
     */
    public byte[] encode() {
        int n = gradient.length, blocks = (n + BLOCK - 1) / BLOCK;
        byte[] widths = new byte[blocks];
        long size = HEADER + blocks;
        for (int b = 0; b < blocks; b++) {
            long bits = 0;
            for (int i = b * BLOCK, end = Math.min(n, i + BLOCK); i < end; i++) bits |= zigzag(gradient[i]);
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
            // 64 values of `width` bits fill exactly `width` longs; a short last block is padded with zeros.
            long word = 0;
            int used = 0;
            for (int i = 0, from = b * BLOCK; i < BLOCK; i++) {
                long v = from + i < n ? zigzag(gradient[from + i]) : 0;
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

    public static GradientSum decode(byte[] bytes) {
        GradientSum sum = new GradientSum(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt());
        sum.addEncoded(bytes);
        return sum;
    }

    /** Adds an encoded sum into this one without materialising it (the driver's side of a step). */
    public GradientSum addEncoded(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = buf.getInt();
        if (n != gradient.length) throw new IllegalArgumentException("a sum of " + n + " parameters added to one of " + gradient.length);
        examples += buf.getInt();
        overflow |= buf.get() != 0;
        loss += buf.getLong();
        int at = buf.position();
        long[] words = new long[BLOCK + 1];
        for (int from = 0; from < n; from += BLOCK) at = addBlock(bytes, at, Math.min(BLOCK, n - from), gradient, from, words);
        checkEnd(bytes, at);
        return this;
    }

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Adds the {@code count} values of the packed block at byte {@code at} (its width, then that
     * many words) into {@code into[offset...]}; returns where the next block starts.
     * {@code words} is scratch space for BLOCK + 1 longs.
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
        int width = bytes[at];
        if (width < 0 || width > 64) throw new IllegalArgumentException("not a gradient sum: a block " + width + " bits wide");
        return width;
    }

    /** The factor from a fixed-point sum to the mean over {@code batch} examples (one place, so every path gives the same floats). */
    private static double perExample(int batch) {
        return 1.0 / (SCALE * batch);
    }

    /** The loss a fixed-point loss sum stands for (the loss is kept at 2^-32 / 64 resolution). */
    private static double lossValue(long loss) {
        return loss * 64 / SCALE;
    }

    private static void checkEnd(byte[] bytes, int at) {
        if (at != bytes.length) throw new IllegalArgumentException("not a gradient sum: " + bytes.length + " bytes where " + at + " were expected");
    }

    /** What a step's total says besides its gradient. */
    public record Totals(double lossSum, int examples, boolean diverged) {
    }

    /**
     * The driver's side of a step: adds encoded sums and writes their mean gradient over
     * {@code batch} examples into {@code out}, the same floats as decoding, adding and calling
     * {@link #meanGradient}. The exact total never exists as a whole (8 bytes a parameter, 15 MB
     * for 784-1024-1024-10): ranges of blocks are added and divided on all cores at once, since
     * the executors wait for the driver meanwhile. Each value depends only on its own block, so
     * the split does not change a bit.
     */
    public static Totals meanOf(List<byte[]> sums, float[] out, int batch) {
        int parts = sums.size(), n = out.length, blocks = (n + BLOCK - 1) / BLOCK;
        int[] first = new int[parts];
        long loss = 0;
        int examples = 0;
        boolean overflow = false;
        for (int p = 0; p < parts; p++) {
            ByteBuffer buf = ByteBuffer.wrap(sums.get(p)).order(ByteOrder.LITTLE_ENDIAN);
            int count = buf.getInt();
            if (count != n) throw new IllegalArgumentException("a sum of " + count + " parameters for a gradient of " + n);
            examples += buf.getInt();
            overflow |= buf.get() != 0;
            loss += buf.getLong();
            first[p] = buf.position();
        }
        int chunks = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), blocks / 1024));
        // start[c][p]: where chunk c's first block is in part p, found by walking the width bytes.
        int[][] start = new int[chunks][parts];
        for (int p = 0; p < parts; p++) {
            byte[] bytes = sums.get(p);
            int at = first[p];
            for (int b = 0, c = 0; b < blocks; b++) {
                if (c < chunks && b == chunkStart(c, chunks, blocks)) start[c++][p] = at;
                at += 1 + 8 * width(bytes, at);
            }
            checkEnd(bytes, at);
        }
        double f = perExample(batch);
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
        return new Totals(lossValue(loss), examples, overflow);
    }

    private static int chunkStart(int c, int chunks, int blocks) {
        return (int) ((long) c * blocks / chunks);
    }

    /** Two encoded sums as one (what the tree reduction does at each level). */
    public static byte[] merge(byte[] a, byte[] b) {
        return decode(a).addEncoded(b).encode();
    }

    private static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    /** Exactly these fixed-point values (for tests of the wire form). */
    static GradientSum ofRaw(long[] values) {
        GradientSum sum = new GradientSum(values.length);
        System.arraycopy(values, 0, sum.gradient, 0, values.length);
        return sum;
    }

    long[] raw() {
        return gradient.clone();
    }

    /** True when some shard's gradient or loss was NaN, infinite or beyond the fixed-point range. */
    public boolean diverged() {
        return overflow;
    }
}
