package sparkprop.train;

import java.util.Locale;
import sparkprop.core.BadInputException;
import sparkprop.core.NetworkSpec;

/**
 * The least heap a run's arrays take, from the layer sizes alone, so that a network too large for
 * the driver or an executor is refused in one line before anything is allocated (instead of an
 * {@code OutOfMemoryError} in the optimizer's constructor or a task). Lower bounds, counting only
 * arrays of a parameter's length; everything else (Spark, the cached data, activations) comes on top:
 * <ul>
 * <li>the driver: the state (the parameters, the optimizer's arrays, the average with --ema), the
 *     step's mean gradient, and one encoded copy of the state (a checkpoint, or the broadcast that
 *     starts a launch);</li>
 * <li>each task: its replica of the state, the whole-number sums (8 bytes a value), the mean
 *     gradient, and the launch's state as it arrives (a broadcast value).</li>
 * </ul>
 */
public final class MemoryNeed {
    /** What Spark keeps of an executor's heap for itself ({@code RESERVED_SYSTEM_MEMORY_BYTES}). */
    static final long SPARK_RESERVED = 300L << 20;

    private MemoryNeed() {
    }

    /** The float arrays of a parameter's length the state holds: the parameters, the optimizer's, the average. */
    static int stateArrays(TrainConfig config) {
        return 1 + config.optimizer().stateArrays() + (config.ema() > 0 ? 1 : 0);
    }

    /** The driver's least need, in bytes. */
    public static long driverBytes(NetworkSpec spec, TrainConfig config) {
        long p = (long) spec.parameterCount();
        return 4 * p * (2L * stateArrays(config) + 1);
    }

    /** One task's least need, in bytes. */
    public static long taskBytes(NetworkSpec spec, TrainConfig config) {
        long p = (long) spec.parameterCount();
        return 4 * p * (2L * stateArrays(config) + 1) + 8 * p;
    }

    /**
     * Refuses a network whose driver need exceeds {@code driverHeap} or whose {@code tasksPerExecutor} tasks' need
     * exceeds {@code executorHeap} less Spark's reserve (0: not checked, e.g. in local mode, where the tasks run in the
     * driver's heap and count there: pass {@code localTasks} for them).
     */
    public static void check(NetworkSpec spec, TrainConfig config, long driverHeap, int localTasks, long executorHeap, int tasksPerExecutor) {
        long driver = driverBytes(spec, config) + localTasks * taskBytes(spec, config);
        if (driver > driverHeap) {
            throw new BadInputException("--layers " + spec.describeSizes() + ": " + parameters(spec) + " need at least " + gb(driver)
                    + " of the driver's heap" + (localTasks > 0 ? " (the tasks' arrays included: local mode)" : "") + ", which has "
                    + gb(driverHeap) + ": raise it (spark.driver.memory, spark-submit --driver-memory; SPARKPROP_JAVA_OPTS=-Xmx... for scripts/train)"
                    + " or train a smaller network");
        }
        long tasks = tasksPerExecutor * taskBytes(spec, config);
        if (executorHeap > 0 && tasks > executorHeap - SPARK_RESERVED) {
            throw new BadInputException("--layers " + spec.describeSizes() + ": " + parameters(spec) + " need at least " + gb(tasks)
                    + " of each executor's heap for its " + tasksPerExecutor + " task" + (tasksPerExecutor == 1 ? "" : "s") + ", which has "
                    + gb(executorHeap) + " (Spark keeps 300 MB of it): raise spark.executor.memory or train a smaller network");
        }
    }

    private static String parameters(NetworkSpec spec) {
        return String.format(Locale.ROOT, "its %,d parameters", (long) spec.parameterCount());
    }

    private static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }
}
