package sparkprop.core;

/**
 * Derives independent seeds from a run seed and a path of integers (epoch, step, shard, ...), so
 * that every random choice depends only on where it is made, never on which thread or executor
 * makes it or in which order.
 */
public final class Seeds {
    private Seeds() {
    }

    public static long derive(long seed, long... path) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        for (long p : path) h = mix(h + 0x9E3779B97F4A7C15L * (p + 1));
        return h;
    }

    /** SplitMix64's finaliser: a bijection that spreads every input bit over the output. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
