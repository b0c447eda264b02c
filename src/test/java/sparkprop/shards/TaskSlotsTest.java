package sparkprop.shards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** Counting a cluster's task slots without a race, and --shards auto, without Spark. */
class TaskSlotsTest {
    private static final long MS = 1_000_000L;

    @Test
    void whatTheApplicationAskedForIsReadFromItsSettings() {
        assertEquals(8, TaskSlots.asked(new SparkConf().set("spark.executor.instances", "4").set("spark.executor.cores", "2"), "yarn"));
        // YARN and Kubernetes default to 2 executors of 1 core.
        assertEquals(2, TaskSlots.asked(new SparkConf(), "yarn"));
        assertEquals(2, TaskSlots.asked(new SparkConf(), "k8s://https://api:6443"));
        assertEquals(3, TaskSlots.asked(new SparkConf().set("spark.executor.instances", "3").set("spark.executor.cores", "4")
                .set("spark.task.cpus", "4"), "yarn"));
        // Standalone: spark.cores.max in whole executors, or cores when an executor takes a whole worker.
        assertEquals(6, TaskSlots.asked(new SparkConf().set("spark.cores.max", "6"), "spark://m:7077"));
        assertEquals(4, TaskSlots.asked(new SparkConf().set("spark.cores.max", "5").set("spark.executor.cores", "2"), "spark://m:7077"));
        // Nothing countable asked: a standalone application takes every free core; dynamic allocation is Spark's to size.
        assertEquals(0, TaskSlots.asked(new SparkConf(), "spark://m:7077"));
        assertEquals(0, TaskSlots.asked(new SparkConf().set("spark.dynamicAllocation.enabled", "true").set("spark.executor.instances", "4"), "yarn"));
    }

    @Test
    void theCountWaitsForTheSlotsAskedForNotForAPause() {
        // Executors arriving 2 at a time with pauses longer than the "held still" time: the count waits for all 6 asked.
        long start = System.nanoTime();
        TaskSlots.Count count = TaskSlots.waitFor(() -> Math.min(6, 2 * (int) ((System.nanoTime() - start) / (400 * MS))), 6, 10_000 * MS,
                300 * MS, "spark.cores.max=6");
        assertEquals(6, count.found());
        assertEquals("6 task slots", count.describe());
    }

    @Test
    void slotsThatNeverComeEndTheWaitWithALineSayingWhatWasFound() {
        TaskSlots.Count count = TaskSlots.waitFor(() -> 2, 4, 500 * MS, 100 * MS, "spark.executor.instances=4 x spark.executor.cores=1");
        assertEquals(2, count.found());
        assertTrue(count.waitedSeconds() >= 0.5, "waited " + count.waitedSeconds());
        assertEquals("2 of the 4 task slots asked for (spark.executor.instances=4 x spark.executor.cores=1) after waiting 1 s "
                + "(spark.sparkprop.slots.waitSeconds)", count.describe());
    }

    @Test
    void withNothingAskedTheCountIsTakenOnceItHeldStill() {
        AtomicInteger polls = new AtomicInteger();
        // 0 for the first 3 polls (no executor yet), then 1, then 3 from the 6th poll on.
        TaskSlots.Count count = TaskSlots.waitFor(() -> {
            int p = polls.incrementAndGet();
            return p < 4 ? 0 : p < 6 ? 1 : 3;
        }, 0, 10_000 * MS, 500 * MS, "");
        assertEquals(3, count.found());
        assertTrue(polls.get() >= 10, "held still for 500 ms at 100 ms a poll: " + polls.get());
    }

    @Test
    void autoShardsAreTheSmallestMultipleOfThePartitionsFromFourUp() {
        int[][] partitionsToShards = {{1, 4}, {2, 4}, {3, 6}, {4, 4}, {5, 5}, {6, 6}, {8, 8}, {32, 32}, {100, 100}};
        for (int[] c : partitionsToShards) assertEquals(c[1], ShardLayout.autoShards(c[0], 512), c[0] + " partitions");
        // Never more than the batch: each shard gives at least one example a step.
        assertEquals(16, ShardLayout.autoShards(32, 16));
        assertEquals(1, ShardLayout.autoShards(3, 1));
    }
}
