package sparkprop.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import sparkprop.train.TrainConfig;

/**
 * Where a run's settings come from, later ones winning: the defaults file
 * ({@code conf/train.properties}, carried in the jar), a {@code --config FILE}, the command line.
 */
final class Settings {
    private Settings() {
    }

    static Map<String, String> defaults() {
        return TrainConfig.defaultValues();
    }

    static Map<String, String> file(String file) {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("--config " + file + ": no such file");
        try (Reader in = Files.newBufferedReader(path)) {
            Properties p = new Properties();
            p.load(in);
            Map<String, String> m = toMap(p);
            for (String key : m.keySet()) {
                if (!TrainConfig.KEYS.contains(key)) throw new IllegalArgumentException("--config " + file + ": unknown setting '" + key + "'");
            }
            return m;
        } catch (IOException | IllegalArgumentException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage().startsWith("--config")) throw iae;
            throw new IllegalArgumentException("--config " + file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    /** Defaults, then a --config file's settings, then the command line's. */
    static Map<String, String> merge(Map<String, String> fromFile, Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>(defaults());
        merged.putAll(fromFile);
        merged.putAll(overrides);
        return merged;
    }

    private static Map<String, String> toMap(Properties p) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) m.put(key, p.getProperty(key).trim());
        return m;
    }
}
