package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sparkprop.train.TrainConfig;

/** The settings files in conf/ that users pass to --config are valid configs (a typo'd key or value fails here). */
class ShippedConfigsTest {
    static Stream<Path> configs() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("conf"))) {
            List<Path> list = files.filter(p -> p.toString().endsWith(".properties"))
                    .filter(p -> !p.getFileName().toString().startsWith("log4j2")).sorted().toList();
            return list.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void everyShippedSettingsFileMakesAValidConfig(Path file) {
        Map<String, String> settings = Settings.merge(Settings.file(file.toString()), Map.of("out", "unused"));
        TrainConfig config = TrainConfig.fromMap(settings);
        // Every hyperparameter the file sets is what the config trains with (read and written as the option table does).
        Map<String, String> used = config.toMap();
        for (String key : Settings.file(file.toString()).keySet()) {
            if (!used.containsKey(key)) continue; // a run setting (data, out, ...)
            assertEquals(TrainConfig.defaults().with(key, settings.get(key)).toMap().get(key), used.get(key), file + ": " + key);
        }
        assertTrue(Settings.file(file.toString()).keySet().stream().anyMatch(used::containsKey), file + " sets no hyperparameter");
    }

    @Test
    void theBestMnistSettingsUseDropoutAndMaxNorm() {
        TrainConfig best = TrainConfig.fromMap(Settings.merge(Settings.file("conf/mnist-best.properties"), Map.of("out", "unused")));
        assertTrue(best.dropout() > 0 && best.inputDropout() > 0 && best.maxNorm() > 0, best.toString());
    }
}
