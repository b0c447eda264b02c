package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import sparkprop.core.BadInputException;

/** The option table against the defaults file, the config records and docs/training.md. */
class OptionsTest {
    /** Options of the train command that are not settings (not in the table). */
    private static final Set<String> COMMAND_OPTIONS = Set.of("config", "stop-after", "resume", "resume-if-exists", "allow-other-data");

    @Test
    void shardsAutoFollowsThePartitionsAndAGivenNumberStays() {
        TrainConfig auto = TrainConfig.defaults();
        assertEquals("auto", Options.defaults().get("shards"));
        assertTrue(auto.shardsFollowPartitions());
        assertEquals("auto", auto.toMap().get("shards"));
        assertEquals(4, auto.withShardsFor(2).shards());
        assertEquals(6, auto.withShardsFor(3).shards());
        assertEquals(32, auto.withShardsFor(32).shards());
        assertEquals(16, auto.with("batch-size", "16").withShardsFor(32).shards());
        assertEquals(4, auto.with("shards", "4").withShardsFor(32).shards());
        assertEquals(auto, auto.with("shards", "0"));
        BadInputException bad = assertThrows(BadInputException.class, () -> auto.with("shards", "many"));
        assertEquals("--shards: 'many' is not a number", bad.getMessage());
    }

    @Test
    void everyOptionHasADefaultInConfAndNothingElseIsThere() {
        Map<String, String> defaults = Options.defaults();
        assertEquals(Set.copyOf(Options.keys()), defaults.keySet());
    }

    @Test
    void everyRecordComponentIsFilledByExactlyOneOptionOfItsScope() {
        int model = TrainConfig.class.getRecordComponents().length, run = RunSettings.class.getRecordComponents().length;
        long modelRows = Options.ALL.stream().filter(o -> o.scope() == Options.Scope.MODEL).count();
        assertEquals(model, modelRows);
        assertEquals(Options.ALL.size(), model + run);
        // Round trips: the map a config writes builds the same config.
        TrainConfig config = TrainConfig.defaults().with("optimizer", "adam").with("adam-beta2", "0.99");
        assertEquals(config, TrainConfig.fromMap(config.toMap()));
        assertEquals(Set.copyOf(config.toMap().keySet()),
                Set.copyOf(Options.ALL.stream().filter(o -> o.scope() == Options.Scope.MODEL).map(Options.Option::key).toList()));
    }

    @Test
    void theReadmeOptionTableMatchesTheOptionTable() throws Exception {
        String readme = Files.readString(Path.of("docs/training.md"));
        int start = readme.indexOf("| option | default | meaning |");
        assertTrue(start >= 0, "docs/training.md has the option table");
        Map<String, String> rows = new LinkedHashMap<>();
        Pattern row = Pattern.compile("^\\| `--([a-z0-9-]+)[^`]*` \\| (?:`([^`]*)`)? *\\|", Pattern.MULTILINE);
        String table = readme.substring(start, readme.indexOf("\n\n", start));
        Matcher m = row.matcher(table);
        while (m.find()) rows.put(m.group(1), m.group(2) == null ? "" : m.group(2));
        Map<String, String> defaults = Options.defaults();
        for (String key : Options.keys()) {
            assertTrue(rows.containsKey(key), "docs/training.md lacks --" + key);
            assertEquals(defaults.get(key), rows.get(key), "docs/training.md's default of --" + key);
        }
        for (String key : rows.keySet()) {
            assertTrue(Options.keys().contains(key) || COMMAND_OPTIONS.contains(key), "docs/training.md names --" + key + ", which the code does not have");
        }
    }

    @Test
    void aMissingOptionTakesItsValueFromBeforeItExistedOrFails() {
        Map<String, String> old = new LinkedHashMap<>(TrainConfig.defaults().toMap());
        old.remove("ema");
        old.remove("adam-epsilon");
        TrainConfig config = TrainConfig.fromMap(old);
        assertEquals(0, config.ema());
        assertEquals(1e-8, config.adamEpsilon());
        old.remove("layers");
        BadInputException e = assertThrows(BadInputException.class, () -> TrainConfig.fromMap(old));
        assertTrue(e.getMessage().contains("--layers has no value"), e.getMessage());
    }

    @Test
    void runSettingsAreNotHyperparametersAndUnknownKeysAreRefused() {
        Map<String, String> settings = Options.defaults();
        settings.put("master", "local[3]");
        settings.put("partitions", "7");
        assertEquals(TrainConfig.defaults(), TrainConfig.fromMap(settings), "run settings do not change the hyperparameters");
        RunSettings run = RunSettings.fromMap(settings);
        assertEquals(7, run.partitions());
        assertTrue(!run.out().contains(RunSettings.TIMESTAMP) && run.out().startsWith("runs/"), run.out());
        // Unique among runs started in the same second: the process id follows the time.
        assertTrue(run.out().endsWith("-" + ProcessHandle.current().pid()), run.out());
        settings.put("learning_rate", "1");
        BadInputException e = assertThrows(BadInputException.class, () -> TrainConfig.fromMap(settings));
        assertTrue(e.getMessage().contains("unknown setting 'learning_rate'"), e.getMessage());
        assertEquals(List.of(), Options.keys().stream().filter(k -> !k.matches("[a-z0-9-]+")).toList(), "keys are option names");
    }

    @Test
    void valuesThatFloat32CannotHoldAreRefusedByName() {
        String[][] cases = {
                {"adam-epsilon", "1e-50", "rounds to 0 in float32"},
                {"learning-rate", "1e39", "overflows float32"},
                {"momentum", "0.9999999999", "a number in [0, 1) after rounding to float32, which training computes in (it rounds to 1.0)"},
                {"ema", "0.99999999", "(it rounds to 1.0)"}};
        for (String[] c : cases) {
            sparkprop.core.BadInputException e = assertThrows(sparkprop.core.BadInputException.class, () -> TrainConfig.defaults().with(c[0], c[1]),
                    c[0]);
            assertTrue(e.getMessage().startsWith("--" + c[0] + " "), e.getMessage());
            assertTrue(e.getMessage().contains(c[2]), e.getMessage());
        }
        assertEquals(1e-8, TrainConfig.defaults().with("adam-epsilon", "1e-8").adamEpsilon());
        assertEquals(0.0, TrainConfig.defaults().with("weight-decay", "0").weightDecay());
    }
}
