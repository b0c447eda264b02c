package sparkprop.shards;

import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;

/**
 * Where the shard blocks live between steps: cached by the executors in memory, and what does not
 * fit there on their local disks (MEMORY_AND_DISK), so that a step never goes back to the source.
 * With memory alone, Spark drops the partitions that do not fit and silently reads them from the
 * source again at every step.
 */
public final class ShardCache {
    private ShardCache() {
    }

    /** How much of a cached RDD the executors hold in memory and how much on their local disks. */
    public record Placement(long memoryBytes, long diskBytes, int partitionsCached, int partitions) {
        /** One line for the console, e.g. "training data cached: 47.0 MB, all in the executors' memory". */
        public String describe(String what) {
            if (diskBytes == 0) {
                return String.format(Locale.ROOT, "%s cached: %s, all in the executors' memory", what, megabytes(memoryBytes));
            }
            return String.format(Locale.ROOT, "%s cached: %s in the executors' memory, %s spilled to their local disks (%d of %d partitions "
                            + "cached); steps read the spilled part from disk, never from the source (more spark.executor.memory keeps it in memory)",
                    what, megabytes(memoryBytes), megabytes(diskBytes), partitionsCached, partitions);
        }

        private static String megabytes(long bytes) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
    }

    /** Caches {@code blocks} under {@code name} and reads them now, so bad data fails here and the first step finds them cached. */
    public static JavaRDD<ShardBlock> persist(JavaRDD<ShardBlock> blocks, String name) {
        blocks.setName(name).persist(StorageLevel.MEMORY_AND_DISK());
        blocks.count();
        return blocks;
    }

    /** Where {@code rdd}'s cached partitions are now (all zero if it is not cached). */
    public static Placement placement(JavaRDD<?> rdd) {
        for (RDDInfo info : rdd.context().getRDDStorageInfo()) {
            if (info.id() == rdd.id()) return new Placement(info.memSize(), info.diskSize(), info.numCachedPartitions(), info.numPartitions());
        }
        return new Placement(0, 0, 0, rdd.getNumPartitions());
    }
}
