package sparkprop.train;

import java.io.Serializable;

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

    /** True when some shard's gradient or loss was NaN, infinite or beyond the fixed-point range. */
    public boolean diverged() {
        return overflow;
    }
}
