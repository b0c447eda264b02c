package sparkprop.train;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * How and where a run happens, none of which changes how the model learns: the data (its path and,
 * for a table, its columns and test set), the Spark master, the run folder and the number of
 * partitions. Rows of scope RUN in {@link Options}; defaults in {@code conf/train.properties}.
 *
 * @param testData     a table's test table ("" for none)
 * @param testFraction a table's share of rows set aside for testing (0 for none)
 * @param partitions   Spark partitions holding the shards; 0 means one per task slot
 * @param sync         how steps reach the executors ({@link Sync})
 * @param checkpointEvery steps between checkpoints within an epoch (0: at epoch ends only)
 */
public record RunSettings(String data, String testData, double testFraction, String featuresCol, String labelCol, String master, String out,
                          int partitions, Sync sync, int checkpointEvery) {
    /** The settings that say which examples a run trains and tests on: kept in checkpoints with the data's path. */
    public static final java.util.List<String> DATA_KEYS = java.util.List.of("data", "test-data", "test-fraction", "features-col", "label-col");

    /** In {@code out}, replaced by the run's start time and process id (yyyyMMdd-HHmmss-PID). */
    public static final String TIMESTAMP = "<timestamp>";

    /** Builds the settings from option keys; hyperparameter keys are ignored, unknown keys refused. */
    public static RunSettings fromMap(Map<String, String> values) {
        RunSettings s = Options.build(RunSettings.class, values);
        // The process id makes the name unique among runs started in the same second on this machine (a sweep in a loop).
        String now = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + ProcessHandle.current().pid();
        return s.out.contains(TIMESTAMP) ? s.withOut(s.out.replace(TIMESTAMP, now)) : s;
    }

    public Map<String, String> toMap() {
        return Options.toMap(this);
    }

    public RunSettings withOut(String newOut) {
        return new RunSettings(data, testData, testFraction, featuresCol, labelCol, master, newOut, partitions, sync, checkpointEvery);
    }

    /** These settings with the data-describing ones ({@link #DATA_KEYS}) replaced by {@code data}'s. */
    public RunSettings withData(Map<String, String> data) {
        Map<String, String> m = new java.util.LinkedHashMap<>(toMap());
        m.putAll(data);
        return Options.build(RunSettings.class, m);
    }

    /** The data-describing settings, {@link #DATA_KEYS}. */
    public Map<String, String> dataMap() {
        Map<String, String> m = new java.util.LinkedHashMap<>(toMap());
        m.keySet().retainAll(DATA_KEYS);
        return m;
    }
}
