package sparkprop.shards;

import java.io.Serializable;
import sparkprop.data.Examples;

/**
 * One logical shard's examples as cached in a partition, with the shard's place in the dataset.
 * The per-epoch visiting order is cached on the block, so a step costs no reshuffle.
 */
public final class ShardBlock implements Serializable {
    private final int shard;
    private final int firstExample;
    private final Examples examples;
    private transient int[] trainingIndices;
    private transient int cachedEpoch = -1;
    private transient int[] cachedOrder;

    public ShardBlock(int shard, int firstExample, Examples examples) {
        this.shard = shard;
        this.firstExample = firstExample;
        this.examples = examples;
    }

    public int shard() {
        return shard;
    }

    public int firstExample() {
        return firstExample;
    }

    public Examples examples() {
        return examples;
    }

    /** The shard-local indices this shard contributes at {@code step} of {@code epoch}. */
    public synchronized int[] stepIndices(long seed, int holdout, int epoch, int step, int shardBatch) {
        if (cachedEpoch != epoch || cachedOrder == null) {
            if (trainingIndices == null) trainingIndices = ShardSampler.training(seed, shard, examples.count(), holdout);
            cachedOrder = ShardSampler.epochOrder(seed, epoch, shard, trainingIndices);
            cachedEpoch = epoch;
        }
        return java.util.Arrays.copyOfRange(cachedOrder, step * shardBatch, (step + 1) * shardBatch);
    }
}
