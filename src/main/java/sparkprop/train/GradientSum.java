package sparkprop.train;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

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
        for (int i = 0; i < gradient.length; i++) {
            float g = shardGradient[i];
            if (!(Math.abs(g) < LIMIT)) { // also catches NaN
                overflow = true;
                continue;
            }
            gradient[i] += Math.round(g * SCALE);
        }
        if (!(Math.abs(shardLoss) < LIMIT * 64)) {
            overflow = true;
        } else {
            loss += Math.round(shardLoss * SCALE / 64);
        }
        examples += n;
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
        double f = 1.0 / (SCALE * batch);
        for (int i = 0; i < gradient.length; i++) out[i] = (float) (gradient[i] * f);
    }

    public double lossSum() {
        return loss * 64 / SCALE;
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
        for (int from = 0; from < n; from += BLOCK) {
            int width = buf.get();
            if (width == 0) continue;
            int count = Math.min(BLOCK, n - from);
            long mask = width == 64 ? -1L : (1L << width) - 1;
            long word = buf.getLong();
            int used = 0;
            for (int i = 0; i < count; i++) {
                long v = word >>> used;
                used += width;
                if (used >= 64) {
                    used -= 64;
                    // The value's high bits, if any, start the next word (absent after the block's last value).
                    word = i == BLOCK - 1 ? 0 : buf.getLong();
                    if (used > 0) v |= word << (width - used);
                }
                gradient[from + i] += unzigzag(v & mask);
            }
            // A short last block still occupies `width` longs: skip the unread ones.
            if (count < BLOCK) buf.position(buf.position() + 8 * (width - (int) (((long) count * width) / 64) - 1));
        }
        return this;
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
