package sparkprop.train;

import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import sparkprop.data.Dataset;

/** Configs for tests: the shipped defaults (conf/train.properties) with some values replaced. */
final class TestConfigs {
    private TestConfigs() {
    }

    static TrainConfig with(String... keyValues) {
        return TrainConfig.fromMap(settings(keyValues));
    }

    /** A trainer with these settings, run settings (partitions) included. */
    static Trainer trainer(JavaSparkContext sc, Dataset data, String... keyValues) {
        Map<String, String> m = settings(keyValues);
        return new Trainer(sc, data, TrainConfig.fromMap(m), RunSettings.fromMap(m).partitions());
    }

    private static Map<String, String> settings(String... keyValues) {
        Map<String, String> m = Options.defaults();
        for (int i = 0; i < keyValues.length; i += 2) m.put(keyValues[i], keyValues[i + 1]);
        return m;
    }
}
