package sparkprop.shards;

import java.io.Serializable;

/**
 * How N examples are cut into L logical shards and the shards into P partitions, and how a
 * global batch is split over shards. Logical shards are fixed by the user, not by the cluster, so
 * which example goes where never depends on the number of executors or cores.
 *
 * <p>Shard s holds examples [s·N/L, (s+1)·N/L); partition p holds shards [p·L/P, (p+1)·L/P).
 * Of a global batch B, shard s contributes B/L examples, plus one for the first B mod L shards;
 * validation examples are held out in the same proportions.
 */
public record ShardLayout(int examples, int shards, int partitions) implements Serializable {
    /**
     * The fewest shards {@code --shards auto} gives: 4 was the fixed default before it followed the
     * partitions, so a run on 1, 2 or 4 task slots trains the model it always did.
     */
    public static final int MIN_AUTO_SHARDS = 4;

    /**
     * {@code --shards auto} for {@code partitions}: the smallest multiple of them that is at least
     * {@value #MIN_AUTO_SHARDS}, so each partition holds as many shards as every other, and no more
     * than {@code atMost} (the batch: each shard gives at least one example a step).
     */
    public static int autoShards(int partitions, int atMost) {
        int perPartition = (MIN_AUTO_SHARDS + partitions - 1) / partitions;
        return Math.max(1, Math.min((long) partitions * perPartition > Integer.MAX_VALUE ? Integer.MAX_VALUE : partitions * perPartition, atMost));
    }

    public ShardLayout {
        if (shards <= 0 || shards > examples) {
            throw new IllegalArgumentException("--shards must be between 1 and the " + examples + " training examples, got " + shards);
        }
        if (partitions <= 0) throw new IllegalArgumentException("partitions must be positive, got " + partitions);
        partitions = Math.min(partitions, shards);
    }

    public int shardStart(int shard) {
        return (int) ((long) shard * examples / shards);
    }

    public int shardSize(int shard) {
        return shardStart(shard + 1) - shardStart(shard);
    }

    public int firstShard(int partition) {
        return (int) ((long) partition * shards / partitions);
    }

    public int endShard(int partition) {
        return firstShard(partition + 1);
    }

    /** The shard holding example {@code index} (shards are contiguous ranges in example order). */
    public int shardOf(long index) {
        int s = (int) (index * shards / examples);
        while (s + 1 < shards && shardStart(s + 1) <= index) s++;
        while (shardStart(s) > index) s--;
        return s;
    }

    public int partitionOf(int shard) {
        for (int p = 0; p < partitions; p++) if (shard < endShard(p)) return p;
        throw new IllegalArgumentException("no shard " + shard);
    }

    /**
     * Shard {@code shard}'s part of a total spread evenly over shards: of a global batch, or of the
     * validation examples held out.
     */
    public int share(int total, int shard) {
        return total / shards + (shard < total % shards ? 1 : 0);
    }
}
