package sparkprop.train;

import java.util.Arrays;

/**
 * The summed gradient and loss of a step over some shards, in {@link FixedPoint}, so the total is
 * exact and independent of how shards are grouped into tasks and of the order tasks finish. Tasks
 * send it in its {@link PackedSum} wire form.
 */
public final class GradientSum {
    final long[] gradient;
    long loss;
    int examples;
    boolean overflow;
    /** False while {@link #gradient} may hold something else than this sum (a {@link #writingInto} vector before its first shard). */
    private boolean held;

    public GradientSum(int parameters) {
        this.gradient = new long[parameters];
        this.held = true;
    }

    private GradientSum(long[] vector) {
        this.gradient = vector;
    }

    /**
     * A sum written straight into a step's {@code vector} (the gradient, then the {@link #VECTOR_EXTRA} values that
     * {@link #endVector} writes), whatever it held: the first shard is written, not added, so a ring member's 8 bytes a
     * parameter are neither zeroed nor copied each step. Only {@link #addShard} and {@link #endVector} may use it.
     */
    static GradientSum writingInto(long[] vector) {
        return new GradientSum(vector);
    }

    /** Adds one shard's summed float gradient and loss over {@code n} examples. */
    public void addShard(float[] shardGradient, double shardLoss, int n) {
        boolean inRange = held ? FixedPoint.addRounded(shardGradient, gradient) : FixedPoint.setRounded(shardGradient, gradient);
        held = true;
        if (!inRange) overflow = true;
        if (FixedPoint.lossInRange(shardLoss)) loss += FixedPoint.lossUnits(shardLoss); else overflow = true;
        examples += n;
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
        double f = FixedPoint.perExample(batch);
        for (int i = 0; i < gradient.length; i++) out[i] = (float) (gradient[i] * f);
    }

    public double lossSum() {
        return FixedPoint.lossValue(loss);
    }

    public int examples() {
        return examples;
    }

    /** True when some shard's gradient or loss was NaN, infinite or beyond the fixed-point range. */
    public boolean diverged() {
        return overflow;
    }

    /** This sum's loss, count and divergence flag. */
    public Totals totals() {
        return new Totals(lossSum(), examples, overflow);
    }

    /** The values {@link #endVector} writes after the gradient: the loss, the examples and the overflow count. */
    static final int VECTOR_EXTRA = 3;

    /**
     * Ends a {@link #writingInto} sum: its vector is then one vector of whole numbers, what the ring adds: the gradient
     * (zeros if no shard was added), then the loss, the example count and 1 if something overflowed.
     */
    void endVector() {
        int parameters = gradient.length - VECTOR_EXTRA;
        if (!held) Arrays.fill(gradient, 0, parameters, 0);
        held = true;
        gradient[parameters] = loss;
        gradient[parameters + 1] = examples;
        gradient[parameters + 2] = overflow ? 1 : 0;
    }

    /** A step's loss, example count and overflow count, as a ring's reporter sends them (three int64, little-endian). */
    static byte[] encodeTotals(long loss, long examples, long overflow) {
        return java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(loss).putLong(examples).putLong(overflow).array();
    }

    /** What {@link #encodeTotals} wrote. */
    static Totals decodeTotals(byte[] encoded) {
        if (encoded.length != 24) throw new IllegalArgumentException("a step's totals of " + encoded.length + " bytes, not 24");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(encoded).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long loss = b.getLong(), examples = b.getLong(), overflow = b.getLong();
        return new Totals(FixedPoint.lossValue(loss), (int) examples, overflow != 0);
    }

    /** What a step's total says besides its gradient. */
    public record Totals(double lossSum, int examples, boolean diverged) {
    }
}
