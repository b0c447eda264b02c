package sparkprop.train;

import java.util.Map;

/** Configs for tests: the shipped defaults (conf/train.properties) with some values replaced. */
final class TestConfigs {
    private TestConfigs() {
    }

    static TrainConfig with(String... keyValues) {
        Map<String, String> m = TrainConfig.defaultValues();
        m.put("out", "unused");
        for (int i = 0; i < keyValues.length; i += 2) m.put(keyValues[i], keyValues[i + 1]);
        return TrainConfig.fromMap(m);
    }
}
