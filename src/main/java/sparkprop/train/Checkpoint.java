package sparkprop.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sparkprop.core.ModelFile;
import sparkprop.core.ModelFileException;
import sparkprop.core.Optimizer;

/**
 * The state of a run at the end of an epoch or after any step within one, enough to continue it bit
 * for bit. Little-endian:
 * <pre>
 *   offset  size  field
 *   0       8     magic, ASCII "SPRPCKPT"
 *   8       4     int32 format version = 2
 *   12      4     int32 J, length of the JSON header
 *   16      J     UTF-8 JSON: epochs_done, best_epoch, best_score (the kept model's validation
 *                 loss), epochs_without_improvement, steps_done, epoch_loss_sum and epoch_examples (how
 *                 far into the next epoch, 0 at an epoch's end), data (the training data's path), config (the
 *                 hyperparameters: option key to value), history (the per-epoch metrics so far),
 *                 arrays (the names of the float arrays below, in order), blas (the OpenBLAS
 *                 kernel family the job pinned, or "per-node", and each executor's backend: with
 *                 the seed, what decides the bits), data_identity (the training and test example
 *                 counts and a fingerprint of the examples, {@link DataIdentity}; absent before this release)
 *   16+J    4     int32 K, number of float arrays
 *   ...           per array: int32 length n, then n float32
 *   end     32    SHA-256 of every byte before it
 * </pre>
 * Arrays: {@code params}, {@code best_params}, {@code optimizer.<name>} for each part of the
 * optimizer's state (velocity; Adam's m, v, step), and {@code average} with --ema. Version 1 files
 * (arrays by position, run settings inside config) still load.
 *
 * <p>The random position needs no field: every random choice derives from (seed, epoch, step,
 * shard), so the epochs and steps done are the position.
 */
public final class Checkpoint {
    public static final String FILE = "checkpoint.bin";
    /** The checkpoint before the newest, so a newest one that fails its checksum costs one checkpoint, not the run. */
    public static final String PREVIOUS_FILE = "checkpoint.previous.bin";
    private static final byte[] MAGIC = "SPRPCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PARAMS = "params", BEST = "best_params", AVERAGE = "average", OPTIMIZER = "optimizer.";
    /** Version 1 wrote the optimizer's arrays in this order (whichever of them it has). */
    private static final List<String> V1_OPTIMIZER_ORDER = List.of("velocity", "m", "v", "step");

    /**
     * A checkpoint read back: the hyperparameters, the training data's path and the loop's state.
     *
     * @param dataSettings the data's path and, for a table, its columns and test set ({@link RunSettings#DATA_KEYS}; only
     *                     {@code data} in checkpoints written before tables)
     * @param blasKernel   the kernel family the run pinned ("per-node" if none), or null in checkpoints that predate it
     */
    public record Loaded(TrainConfig config, String data, Map<String, String> dataSettings, String blasKernel, TrainingState state,
                         DataIdentity identity) {
        public Loaded(TrainConfig config, String data, Map<String, String> dataSettings, String blasKernel, TrainingState state) {
            this(config, data, dataSettings, blasKernel, state, null);
        }
    }

    /** How a run computed its sgemm: the kernel family pinned for every executor ("per-node" if none) and what each executor reported. */
    public record Blas(String kernel, List<String> executors) {
        public static final Blas UNKNOWN = new Blas(null, List.of());
    }

    private Checkpoint() {
    }

    /** Writes {@code bytes} as {@code dir}'s newest checkpoint, the one it replaces kept as {@link #PREVIOUS_FILE}. */
    public static void save(sparkprop.storage.Location dir, byte[] bytes) throws IOException {
        sparkprop.storage.Location newest = dir.child(FILE);
        if (newest.exists()) newest.moveTo(dir.child(PREVIOUS_FILE));
        newest.write(bytes);
    }

    /** The checkpoint file's bytes; {@link #save} stores them and keeps the previous one. */
    public static byte[] encode(TrainConfig config, String data, TrainingState state) throws IOException {
        return encode(config, Map.of("data", data), Blas.UNKNOWN, state);
    }

    /** The same with the data's settings ({@link RunSettings#DATA_KEYS}), which {@code --resume} reuses, and the run's BLAS. */
    public static byte[] encode(TrainConfig config, Map<String, String> dataSettings, Blas blas, TrainingState state) throws IOException {
        return encode(config, dataSettings, blas, null, state);
    }

    /** The same with what identifies the data ({@link DataIdentity}; null: not known), which {@code --resume} compares. */
    public static byte[] encode(TrainConfig config, Map<String, String> dataSettings, Blas blas, DataIdentity identity, TrainingState state)
            throws IOException {
        Map<String, float[]> arrays = new LinkedHashMap<>();
        arrays.put(PARAMS, state.params());
        arrays.put(BEST, state.selection().bestParams());
        state.optimizer().state().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> arrays.put(OPTIMIZER + e.getKey(), e.getValue()));
        if (state.average() != null) arrays.put(AVERAGE, state.average());
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("epochs_done", state.epochsDone());
        header.put("best_epoch", state.selection().bestEpoch());
        header.put("best_score", state.selection().bestValidationLoss());
        header.put("epochs_without_improvement", state.selection().epochsWithoutImprovement());
        header.put("by_validation", state.selection().byValidation());
        TrainingState.Progress progress = state.epochProgress();
        header.put("steps_done", progress.stepsDone());
        header.put("epoch_loss_sum", progress.lossSum());
        header.put("epoch_examples", progress.examples());
        header.put("data", dataSettings.get("data"));
        header.put("data_settings", new java.util.TreeMap<>(dataSettings));
        header.put("config", config.toMap());
        header.put("history", state.history());
        header.put("arrays", List.copyOf(arrays.keySet()));
        if (blas.kernel() != null) header.put("blas", Map.of("kernel", blas.kernel(), "executors", blas.executors()));
        if (identity != null) header.put("data_identity", identity.toMap());
        byte[] json = JSON.writeValueAsBytes(header);
        long size = 16 + json.length + 4 + 32;
        for (float[] a : arrays.values()) size += 4 + 4L * a.length;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putInt(VERSION).putInt(json.length).put(json).putInt(arrays.size());
        for (float[] a : arrays.values()) {
            out.putInt(a.length);
            out.asFloatBuffer().put(a);
            out.position(out.position() + 4 * a.length);
        }
        out.put(ModelFile.sha256(out.array(), out.position()));
        return out.array();
    }

    /** Reads a checkpoint's bytes; {@code name} (the file's URI) is used in error messages. */
    public static Loaded decode(byte[] bytes, String name) throws IOException {
        if (bytes.length < 16 + 4 + 32 || !Arrays.equals(Arrays.copyOf(bytes, 8), MAGIC)) {
            throw new ModelFileException(name + ": not a sparkprop checkpoint (no SPRPCKPT magic)");
        }
        if (!Arrays.equals(ModelFile.sha256(bytes, bytes.length - 32), Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length))) {
            throw new ModelFileException(name + ": checksum mismatch (the checkpoint is truncated or corrupt)");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, bytes.length - 32).order(ByteOrder.LITTLE_ENDIAN);
        in.position(8);
        int version = in.getInt();
        if (version != 1 && version != VERSION) throw new ModelFileException(name + ": checkpoint version " + version + " is not supported");
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
        Map<String, String> settings = (Map<String, String>) header.get("config");
        // Version 1 kept the run settings (data, master, out, partitions) in config; fromMap ignores them.
        TrainConfig config = TrainConfig.fromMap(settings);
        String data = version == 1 ? settings.get("data") : (String) header.get("data");
        Optimizer optimizer = config.newOptimizer(arrays.get(0).length);
        Map<String, float[]> named = new LinkedHashMap<>();
        if (version == 1) {
            // By position: params, best params, the optimizer's arrays, then the average with --ema.
            named.put(PARAMS, arrays.get(0));
            named.put(BEST, arrays.get(1));
            int at = 2;
            for (String part : V1_OPTIMIZER_ORDER) if (optimizer.state().containsKey(part)) named.put(OPTIMIZER + part, arrays.get(at++));
            if (config.ema() > 0) named.put(AVERAGE, arrays.get(at));
        } else {
            @SuppressWarnings("unchecked")
            List<String> names = (List<String>) header.get("arrays");
            if (names.size() != arrays.size()) throw new ModelFileException(name + ": names " + names.size() + " arrays but holds " + arrays.size());
            for (int i = 0; i < names.size(); i++) named.put(names.get(i), arrays.get(i));
        }
        for (Map.Entry<String, float[]> part : optimizer.state().entrySet()) {
            float[] saved = named.get(OPTIMIZER + part.getKey());
            if (saved == null || saved.length != part.getValue().length) {
                throw new ModelFileException(name + ": no " + OPTIMIZER + part.getKey() + " of the right size for --optimizer " + config.optimizer().id());
            }
            System.arraycopy(saved, 0, part.getValue(), 0, saved.length);
        }
        // Checkpoints before separate validation sets selected by validation exactly when examples were held out.
        boolean byValidation = header.get("by_validation") instanceof Boolean b ? b : config.validation() > 0;
        ModelSelection selection = new ModelSelection(byValidation, named.get(BEST), (int) number(header.get("best_epoch")),
                number(header.get("best_score")), (int) number(header.get("epochs_without_improvement")));
        List<EpochMetrics> history = JSON.convertValue(header.get("history"), new TypeReference<List<EpochMetrics>>() { });
        // Checkpoints written before --checkpoint-every were taken at epoch ends only.
        TrainingState.Progress progress = header.containsKey("steps_done")
                ? new TrainingState.Progress((int) number(header.get("steps_done")), number(header.get("epoch_loss_sum")),
                        (long) number(header.get("epoch_examples")))
                : TrainingState.Progress.NONE;
        TrainingState state = new TrainingState(named.get(PARAMS), optimizer, config.ema() > 0 ? named.get(AVERAGE) : null, selection, history,
                (int) number(header.get("epochs_done")), progress);
        @SuppressWarnings("unchecked")
        Map<String, String> dataSettings = header.get("data_settings") instanceof Map<?, ?> m ? (Map<String, String>) m : java.util.Collections.singletonMap("data", data);
        String kernel = header.get("blas") instanceof Map<?, ?> b ? (String) b.get("kernel") : null;
        return new Loaded(config, data, dataSettings, kernel, state, DataIdentity.fromMap(header.get("data_identity")));
    }

    /** A number from the JSON header; non-finite doubles are written as strings ("Infinity"). */
    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(value));
    }
}
