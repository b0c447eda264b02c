package sparkprop.train;

/**
 * The fixed point that makes a step's sum exact. Floating-point addition is not associative: summing
 * shard gradients as floats would make the model depend on how shards are grouped into tasks and on
 * the order tasks finish. So each shard's float gradient is rounded once to a multiple of
 * 2^-32 (a function of that shard alone) and everything after is integer addition.
 *
 * <p>Why a long cannot overflow: a shard value is accepted only while |g| < {@link #LIMIT} = 2^20,
 * so its fixed-point form is below 2^20·2^32 = 2^52 in magnitude; at most {@link #MAX_SHARDS} =
 * 2^11 shards add to below 2^63. A shard loss is kept at the coarser resolution 2^-32·64, so a loss
 * sum below 2^20·64 obeys the same bound. Values beyond the limit (or NaN) only occur when training
 * diverges, and are reported as such instead of wrapping. {@link Options} caps --shards at
 * {@link #MAX_SHARDS} for this reason.
 *
 * <p>Resolution: 2^-32 is far below float32 resolution for gradient sums of the size seen in
 * training.
 */
final class FixedPoint {
    static final double SCALE = 0x1p32;
    static final double LIMIT = 0x1p20;
    static final int MAX_SHARDS = 1 << 11;
    /** The loss is kept at 2^-32 times this, so larger loss sums fit the same bound. */
    static final int LOSS_COARSENING = 64;

    private FixedPoint() {
    }

    /**
     * Adds round(g·2^32) of every value into {@code into}; returns false, leaving out the values
     * beyond the limit (and NaN), when there were any.
     */
    static boolean addRounded(float[] values, long[] into) {
        if (largestMagnitude(values) < LIMIT) {
            // The common case, without a branch per value so the loop vectorises: 3.5 ms -> 1.4 ms
            // for 1.9M values, once per shard and step. Math.rint (ties to even) rather than
            // Math.round only because it is faster; any fixed rounding keeps the sum exact.
            for (int i = 0; i < into.length; i++) into[i] += (long) Math.rint(values[i] * SCALE);
            return true;
        }
        boolean inRange = true;
        for (int i = 0; i < into.length; i++) {
            float g = values[i];
            if (!(Math.abs(g) < LIMIT)) { // also catches NaN
                inRange = false;
                continue;
            }
            into[i] += (long) Math.rint(g * SCALE);
        }
        return inRange;
    }

    /** The largest |value|, or NaN if there is one (Math.max propagates it). */
    private static float largestMagnitude(float[] values) {
        float max = 0;
        for (float v : values) max = Math.max(max, Math.abs(v));
        return max;
    }

    static boolean lossInRange(double loss) {
        return Math.abs(loss) < LIMIT * LOSS_COARSENING;
    }

    static long lossUnits(double loss) {
        return Math.round(loss * SCALE / LOSS_COARSENING);
    }

    /** The loss a fixed-point loss sum stands for. */
    static double lossValue(long units) {
        return units * LOSS_COARSENING / SCALE;
    }

    /** The factor from a fixed-point sum to the mean over {@code batch} examples (one place, so every path gives the same floats). */
    static double perExample(int batch) {
        return 1.0 / (SCALE * batch);
    }
}
