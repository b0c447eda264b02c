package sparkprop.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sparkprop.core.ModelFile;
import sparkprop.core.ModelFileException;

/**
 * The state of a run at the end of an epoch, enough to continue it bit for bit. Little-endian:
 * <pre>
 *   0     8   magic, ASCII "SPRPCKPT"
 *   8     4   int32 format version = 1
 *   12    4   int32 J, length of the JSON header
 *   16    J   UTF-8 JSON: epochs_done, best_epoch, best_score, epochs_without_improvement,
 *             config (option name to value), history (the per-epoch metrics so far)
 *   16+J  4   int32 K, number of float arrays: params, best params, the optimizer's state, then
 *             with --ema the parameter average
 *   ...       per array: int32 length n, then n float32
 *   end   32  SHA-256 of every byte before it
 * </pre>
 * The random position needs no field: every random choice derives from (seed, epoch, step,
 * shard), so the epoch count is the position. Written to a temporary name and renamed.
 */
public final class Checkpoint {
    public static final String FILE = "checkpoint.bin";
    private static final byte[] MAGIC = "SPRPCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A checkpoint read back: the config it was taken under and the loop's state. */
    public record Loaded(TrainConfig config, TrainingState state) {
    }

    private Checkpoint() {
    }

    public static void save(Path file, TrainConfig config, TrainingState state) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("epochs_done", state.epochsDone);
        header.put("best_epoch", state.bestEpoch);
        header.put("best_score", state.bestScore);
        header.put("epochs_without_improvement", state.epochsWithoutImprovement);
        header.put("config", config.toMap());
        header.put("history", state.history);
        byte[] json = JSON.writeValueAsBytes(header);
        List<float[]> arrays = new ArrayList<>();
        arrays.add(state.params);
        arrays.add(state.bestParams);
        arrays.addAll(state.optimizerState);
        if (state.average != null) arrays.add(state.average);
        long size = 16 + json.length + 4 + 32;
        for (float[] a : arrays) size += 4 + 4L * a.length;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putInt(VERSION).putInt(json.length).put(json).putInt(arrays.size());
        for (float[] a : arrays) {
            out.putInt(a.length);
            out.asFloatBuffer().put(a);
            out.position(out.position() + 4 * a.length);
        }
        out.put(ModelFile.sha256(out.array(), out.position()));
        ModelFile.writeAtomically(file, out.array());
    }

    public static Loaded load(Path file) throws IOException {
        String name = file.toString();
        if (!Files.isRegularFile(file)) throw new ModelFileException(name + ": no checkpoint here (was the run started with this version?)");
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 16 + 4 + 32 || !Arrays.equals(Arrays.copyOf(bytes, 8), MAGIC)) {
            throw new ModelFileException(name + ": not a sparkprop checkpoint (no SPRPCKPT magic)");
        }
        if (!Arrays.equals(ModelFile.sha256(bytes, bytes.length - 32), Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length))) {
            throw new ModelFileException(name + ": checksum mismatch (the checkpoint is truncated or corrupt)");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, bytes.length - 32).order(ByteOrder.LITTLE_ENDIAN);
        in.position(8);
        int version = in.getInt();
        if (version != VERSION) throw new ModelFileException(name + ": checkpoint version " + version + " is not supported");
        int jsonLength = in.getInt();
        Map<String, Object> header = JSON.readValue(bytes, 16, jsonLength, new TypeReference<>() { });
        in.position(16 + jsonLength);
        int count = in.getInt();
        List<float[]> arrays = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] a = new float[in.getInt()];
            in.asFloatBuffer().get(a);
            in.position(in.position() + 4 * a.length);
            arrays.add(a);
        }
        @SuppressWarnings("unchecked")
        Map<String, String> configMap = (Map<String, String>) header.get("config");
        // Checkpoints written before dropout, max-norm and the average existed trained without them.
        Map<String, String> settings = new java.util.LinkedHashMap<>(Map.of("input-dropout", "0", "dropout", "0", "max-norm", "0", "ema", "0"));
        settings.putAll(configMap);
        TrainConfig config = TrainConfig.fromMap(settings);
        float[] average = config.ema() > 0 ? arrays.remove(arrays.size() - 1) : null;
        TrainingState state = new TrainingState(arrays.get(0), arrays.subList(2, arrays.size()));
        state.average = average;
        state.bestParams = arrays.get(1);
        state.epochsDone = (int) number(header.get("epochs_done"));
        state.bestEpoch = (int) number(header.get("best_epoch"));
        state.bestScore = number(header.get("best_score"));
        state.epochsWithoutImprovement = (int) number(header.get("epochs_without_improvement"));
        state.history.addAll(JSON.convertValue(header.get("history"), new TypeReference<List<EpochMetrics>>() { }));
        return new Loaded(config, state);
    }

    /** A number from the JSON header; non-finite doubles are written as strings ("Infinity"). */
    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(value));
    }
}
