package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.core.ModelFile;
import sparkprop.core.NetworkSpec;

/** Checkpoints round-trip every part of the state by name, and version 1 files still load. */
class CheckpointTest {
    @TempDir
    Path dir;

    /** A state a few steps and two epochs in, with Adam's three arrays and the --ema average. */
    private static TrainingState advanced(TrainConfig config) {
        NetworkSpec spec = config.network(config.layers()[0]);
        TrainingState state = TrainingState.fresh(config, spec);
        DriverStep driver = new DriverStep(config, spec, 5);
        SplittableRandom r = new SplittableRandom(3);
        float[] g = new float[spec.parameterCount()];
        for (int step = 0; step < 10; step++) {
            for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
            driver.apply(state, step, g);
            if (step % 5 == 4) {
                state.endEpoch(new EpochMetrics(step / 5 + 1, 1.0, 0.5 - step * 0.01, 0.8, 0.6, 0.7, 1.0, 100.0, 0.01f, 5, 0.5, 0.3, 0.1));
            }
        }
        return state;
    }

    @Test
    void adamAndTheAverageRoundTrip() throws Exception {
        TrainConfig config = TestConfigs.with("layers", "6,4,3", "optimizer", "adam", "ema", "0.9", "validation", "10", "batch-size", "8");
        TrainingState state = advanced(config);
        Path file = dir.resolve("checkpoint.bin");
        CheckpointFiles.save(file, config, "hdfs://nn/data", state);
        Checkpoint.Loaded loaded = CheckpointFiles.load(file);
        assertEquals(config, loaded.config());
        assertEquals("hdfs://nn/data", loaded.data());
        assertSameState(state, loaded.state());
        assertEquals(List.of("m", "step", "v"), loaded.state().optimizer().state().keySet().stream().sorted().toList());
    }

    @Test
    void versionOneFilesLoadByPosition() throws Exception {
        TrainConfig config = TestConfigs.with("layers", "6,4,3", "optimizer", "adam", "ema", "0.9", "validation", "10", "batch-size", "8");
        TrainingState state = advanced(config);
        Path file = dir.resolve("v1.bin");
        Map<String, String> v1Config = new LinkedHashMap<>(config.toMap());
        v1Config.put("data", "/data/mnist");
        v1Config.put("master", "local[*]");
        v1Config.put("out", "runs/x");
        v1Config.put("partitions", "0");
        v1Config.remove("adam-beta1"); // not written before this version
        Files.write(file, versionOne(v1Config, state, List.of(state.params(), state.selection().bestParams(),
                state.optimizer().state().get("m"), state.optimizer().state().get("v"), state.optimizer().state().get("step"), state.average())));
        Checkpoint.Loaded loaded = CheckpointFiles.load(file);
        assertEquals(config, loaded.config());
        assertEquals("/data/mnist", loaded.data());
        assertSameState(state, loaded.state());

        TrainConfig momentum = TestConfigs.with("layers", "6,4,3");
        TrainingState plain = advanced(momentum);
        Files.write(file, versionOne(momentum.toMap(), plain, List.of(plain.params(), plain.selection().bestParams(),
                plain.optimizer().state().get("velocity"))));
        Checkpoint.Loaded old = CheckpointFiles.load(file);
        assertSameState(plain, old.state());
        assertNull(old.state().average());
    }

    private static void assertSameState(TrainingState expected, TrainingState actual) {
        assertArrayEquals(expected.params(), actual.params());
        assertEquals(expected.optimizer().state().keySet(), actual.optimizer().state().keySet());
        expected.optimizer().state().forEach((name, a) -> assertArrayEquals(a, actual.optimizer().state().get(name), name));
        assertArrayEquals(expected.average(), actual.average());
        assertArrayEquals(expected.selection().bestParams(), actual.selection().bestParams());
        assertEquals(expected.selection().bestEpoch(), actual.selection().bestEpoch());
        assertEquals(expected.selection().bestValidationLoss(), actual.selection().bestValidationLoss());
        assertEquals(expected.selection().epochsWithoutImprovement(), actual.selection().epochsWithoutImprovement());
        assertEquals(expected.epochsDone(), actual.epochsDone());
        assertEquals(expected.history(), actual.history());
    }

    /** The version 1 layout as the earlier code wrote it: arrays by position, run settings inside config. */
    private static byte[] versionOne(Map<String, String> config, TrainingState state, List<float[]> arrays) throws Exception {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("epochs_done", state.epochsDone());
        header.put("best_epoch", state.selection().bestEpoch());
        header.put("best_score", state.selection().bestValidationLoss());
        header.put("epochs_without_improvement", state.selection().epochsWithoutImprovement());
        header.put("config", config);
        header.put("history", state.history());
        byte[] json = new ObjectMapper().writeValueAsBytes(header);
        List<float[]> all = new ArrayList<>(arrays);
        long size = 16 + json.length + 4 + 32;
        for (float[] a : all) size += 4 + 4L * a.length;
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        out.put("SPRPCKPT".getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt(json.length).put(json).putInt(all.size());
        for (float[] a : all) {
            out.putInt(a.length);
            for (float v : a) out.putFloat(v);
        }
        out.put(ModelFile.sha256(out.array(), out.position()));
        return out.array();
    }
}
