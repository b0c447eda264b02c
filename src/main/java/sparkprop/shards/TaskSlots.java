package sparkprop.shards;

import org.apache.spark.SparkContext;

/**
 * How many tasks Spark can run at once: what "one partition per core" means for the data's
 * partitions, and what a training stage needs for every partition to run together.
 */
public final class TaskSlots {
    private TaskSlots() {
    }

    /** Tasks Spark can run at once with the default resource profile (0 before any executor registers). */
    public static int available(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }

    /**
     * The partitions for "0: one per core": the task slots, so that a stage can hold every
     * partition (Spark's default parallelism says 2 on a one-core cluster); Spark's default
     * parallelism while no executor has registered yet.
     */
    public static int partitionsFor(SparkContext sc, int requested) {
        if (requested > 0) return requested;
        int slots = settled(sc, Integer.MAX_VALUE);
        return slots > 0 ? slots : sc.defaultParallelism();
    }

    /**
     * The slots once {@code wanted} are there, or else once the count has held still for a second
     * (at most 15 s in all): a cluster's executors register in the first seconds of an
     * application. In local mode, at once.
     */
    public static int settled(SparkContext sc, int wanted) {
        int slots = available(sc);
        if (sc.isLocal()) return slots;
        long deadline = System.nanoTime() + 15_000_000_000L;
        long stableSince = System.nanoTime();
        while (slots < wanted && System.nanoTime() < deadline && (slots == 0 || System.nanoTime() - stableSince < 1_000_000_000L)) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            int now = available(sc);
            if (now != slots) {
                slots = now;
                stableSince = System.nanoTime();
            }
        }
        return slots;
    }
}
