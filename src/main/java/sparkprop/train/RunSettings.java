package sparkprop.train;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * How and where a run happens, none of which changes the model's bits: the data's path, the
 * Spark master, the run folder and the number of partitions. Rows of scope RUN in {@link Options};
 * defaults in {@code conf/train.properties}.
 *
 * @param partitions Spark partitions holding the shards; 0 means one per core
 */
public record RunSettings(String data, String master, String out, int partitions) {
    /** In {@code out}, replaced by the run's start time (yyyyMMdd-HHmmss). */
    public static final String TIMESTAMP = "<timestamp>";

    /** Builds the settings from option keys; hyperparameter keys are ignored, unknown keys refused. */
    public static RunSettings fromMap(Map<String, String> values) {
        RunSettings s = Options.build(RunSettings.class, values);
        String now = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return s.out.contains(TIMESTAMP) ? new RunSettings(s.data, s.master, s.out.replace(TIMESTAMP, now), s.partitions) : s;
    }

    public Map<String, String> toMap() {
        return Options.toMap(this);
    }

    public RunSettings withMaster(String newMaster) {
        return new RunSettings(data, newMaster, out, partitions);
    }
}
