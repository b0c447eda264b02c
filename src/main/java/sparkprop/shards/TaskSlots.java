package sparkprop.shards;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * How many tasks Spark can run at once: what "one partition per task slot" means for the data's
 * partitions, and what a training stage needs for every partition to run together.
 *
 * <p>A cluster's executors register in the first seconds (or minutes, on a busy YARN queue) of an
 * application, so the count is taken once the slots the application asked for are there
 * ({@link #asked}): {@code spark.executor.instances} times the slots of an executor, or
 * {@code spark.cores.max}. Where it asked for nothing countable (a standalone cluster without
 * {@code spark.cores.max} takes every free core) the count is taken once it has held still for
 * {@value #STILL_MILLIS} ms. Either way the wait ends after {@link #WAIT} (default
 * {@value #DEFAULT_WAIT_SECONDS} s), and the run uses what it found and says so.
 */
public final class TaskSlots {
    /** How long to wait for the executors asked for, in seconds. */
    public static final String WAIT = "spark.sparkprop.slots.waitSeconds";
    static final int DEFAULT_WAIT_SECONDS = 60;
    static final long STILL_MILLIS = 3000;

    /** The slots found, those asked for (0: nothing countable was asked), and how long the wait took. */
    public record Count(int found, int asked, double waitedSeconds, String askedBy) {
        /** For the run's first line: "4 task slots", "2 of the 4 task slots asked for (...)". */
        public String describe() {
            if (asked == 0 || found == asked) return found + " task slot" + (found == 1 ? "" : "s");
            String got = found + " of the " + asked + " task slots asked for (" + askedBy + ")";
            return found < asked ? got + String.format(" after waiting %.0f s (%s)", waitedSeconds, WAIT) : got;
        }
    }

    private TaskSlots() {
    }

    /** Tasks Spark can run at once with the default resource profile (0 before any executor registers). */
    public static int available(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }

    /**
     * The task slots the application asked for, 0 when its settings do not say: {@code
     * spark.executor.instances} (YARN and Kubernetes default to 2) times the task slots of an
     * executor ({@code spark.executor.cores / spark.task.cpus}), or on a standalone cluster
     * {@code spark.cores.max} in whole executors. Under dynamic allocation the count is Spark's to
     * change, so nothing is waited for.
     */
    public static int asked(SparkConf conf, String master) {
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) return 0;
        int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
        boolean managed = master.startsWith("yarn") || master.startsWith("k8s");
        // On YARN and Kubernetes an executor has 1 core and there are 2 unless set; a standalone executor takes a whole worker.
        int executorCores = conf.getInt("spark.executor.cores", managed ? 1 : 0);
        if (conf.contains("spark.executor.instances") || managed) {
            int instances = conf.getInt("spark.executor.instances", 2);
            if (executorCores > 0) return instances * (executorCores / taskCpus);
        }
        if (master.startsWith("spark://") && conf.contains("spark.cores.max")) {
            int coresMax = conf.getInt("spark.cores.max", 0);
            return executorCores > 0 ? (coresMax / executorCores) * (executorCores / taskCpus) : coresMax / taskCpus;
        }
        return 0;
    }

    /** The tasks one executor runs at once: {@code spark.executor.cores / spark.task.cpus}, with one core where unset; at least 1. */
    public static int perExecutor(SparkConf conf) {
        return Math.max(1, conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    }

    /** Which settings {@link #asked} read, for messages. */
    static String askedBy(SparkConf conf, String master) {
        if (conf.contains("spark.executor.instances") || master.startsWith("yarn") || master.startsWith("k8s")) {
            return "spark.executor.instances=" + conf.get("spark.executor.instances", "2 (the default)") + " x spark.executor.cores="
                    + conf.get("spark.executor.cores", "1");
        }
        return "spark.cores.max=" + conf.get("spark.cores.max", "");
    }

    /**
     * The partitions for "0: one per task slot": the slots once the executors asked for are
     * there ({@link #count}), so that a stage can hold every partition; Spark's default
     * parallelism if no executor registered at all.
     */
    public static int partitionsFor(SparkContext sc, int requested) {
        if (requested > 0) return requested;
        Count counted = count(sc);
        if (counted.found() == 0 && counted.asked() > 0) throw noExecutors(sc, counted);
        int slots = counted.found();
        return slots > 0 ? slots : sc.defaultParallelism();
    }

    /**
     * The cluster manager granted no executor at all within the wait: caching the data would wait for ever, so the run
     * stops with the settings to look at (the queue on YARN).
     */
    static sparkprop.core.BadInputException noExecutors(SparkContext sc, Count counted) {
        SparkConf conf = sc.getConf();
        String where = sc.master().startsWith("yarn") ? "; does YARN queue '" + conf.get("spark.yarn.queue", "default")
                + "' have room for them (spark.yarn.queue, spark.executor.memory and its overhead)?" : "";
        return new sparkprop.core.BadInputException(String.format("no executor registered within %.0f s of asking for %d task slots (%s; %s sets "
                + "the wait)%s", counted.waitedSeconds(), counted.asked(), counted.askedBy(), WAIT, where));
    }

    /**
     * The slots once those asked for are there, or the count held still, within the wait
     * ({@link TaskSlots}); in local mode at once. An application waits once: later calls give its
     * first count.
     */
    public static Count count(SparkContext sc) {
        String master = sc.master();
        if (sc.isLocal()) return new Count(available(sc), 0, 0, "");
        return COUNTED.computeIfAbsent(sc.applicationId(), id -> {
            SparkConf conf = sc.getConf();
            long waitNanos = conf.getTimeAsSeconds(WAIT, DEFAULT_WAIT_SECONDS + "s") * 1_000_000_000L;
            return waitFor(() -> available(sc), asked(conf, master), waitNanos, STILL_MILLIS * 1_000_000L, askedBy(conf, master));
        });
    }

    /** Each application's first count, by application id. */
    private static final java.util.Map<String, Count> COUNTED = new java.util.concurrent.ConcurrentHashMap<>();

    /** The slots there are now, waiting at most 15 s for {@code wanted} (a stage's partitions) if fewer; in local mode at once. */
    public static int atLeast(SparkContext sc, int wanted) {
        if (sc.isLocal()) return available(sc);
        return waitFor(() -> available(sc), wanted, 15_000_000_000L, STILL_MILLIS * 1_000_000L, "").found();
    }

    /** The waiting itself, apart from Spark so it can be tested: polls {@code slots} every 100 ms. */
    static Count waitFor(java.util.function.IntSupplier slots, int asked, long waitNanos, long stillNanos, String askedBy) {
        long start = System.nanoTime(), deadline = start + waitNanos;
        int now = slots.getAsInt();
        long stableSince = start;
        while (System.nanoTime() < deadline && (asked > 0 ? now < asked : now == 0 || System.nanoTime() - stableSince < stillNanos)) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            int next = slots.getAsInt();
            if (next != now) {
                now = next;
                stableSince = System.nanoTime();
            }
        }
        return new Count(now, asked, (System.nanoTime() - start) / 1e9, askedBy);
    }
}
