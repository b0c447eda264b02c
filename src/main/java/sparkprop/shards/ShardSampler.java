package sparkprop.shards;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkprop.core.Seeds;

/**
 * Which examples of a shard are held out for validation and which it contributes at each step.
 * Every choice is a function of (seed, epoch, shard) only, never of the task or thread computing it.
 *
 * <p>A shard's examples are permuted once with a seed of their own; the first {@code holdout} of
 * that permutation are its validation examples, the rest its training examples. Each epoch the
 * training examples are shuffled again, and step t takes the t-th run of {@code shardBatch} of them.
 */
public final class ShardSampler {
    private static final long VALIDATION = 0x5A11D;
    private static final long EPOCH = 0xE90C;

    private ShardSampler() {
    }

    /** Shard-local indices of the held-out examples, in ascending order. */
    public static int[] validation(long seed, int shard, int size, int holdout) {
        int[] held = Arrays.copyOf(permutation(size, Seeds.derive(seed, VALIDATION, shard)), holdout);
        Arrays.sort(held);
        return held;
    }

    /** Shard-local indices of the training examples, in ascending order. */
    public static int[] training(long seed, int shard, int size, int holdout) {
        int[] rest = Arrays.copyOfRange(permutation(size, Seeds.derive(seed, VALIDATION, shard)), holdout, size);
        Arrays.sort(rest);
        return rest;
    }

    /** The order in which the shard's training examples are visited during {@code epoch}. */
    public static int[] epochOrder(long seed, int epoch, int shard, int[] training) {
        int[] order = training.clone();
        shuffle(order, new SplittableRandom(Seeds.derive(seed, EPOCH, epoch, shard)));
        return order;
    }

    /** Steps in an epoch: every shard must be able to give its share of every step's batch. */
    public static int stepsPerEpoch(ShardLayout layout, int batch, int holdout) {
        int steps = Integer.MAX_VALUE;
        for (int s = 0; s < layout.shards(); s++) {
            int training = layout.shardSize(s) - layout.share(holdout, s);
            steps = Math.min(steps, training / layout.share(batch, s));
        }
        return steps;
    }

    private static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        shuffle(p, new SplittableRandom(seed));
        return p;
    }

    /** Fisher-Yates. */
    private static void shuffle(int[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
