package sparkprop.train;

import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** Configs for tests: the shipped defaults (conf/train.properties) with some values replaced. */
final class TestConfigs {
    private TestConfigs() {
    }

    static TrainConfig with(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        try (InputStream in = TestConfigs.class.getClassLoader().getResourceAsStream("train.properties")) {
            Properties p = new Properties();
            p.load(in);
            for (String k : p.stringPropertyNames()) m.put(k, p.getProperty(k));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        m.put("out", "unused");
        for (int i = 0; i < keyValues.length; i += 2) m.put(keyValues[i], keyValues[i + 1]);
        return TrainConfig.fromMap(m);
    }
}
