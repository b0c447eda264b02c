package sparkprop.train;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import sparkprop.core.Activation;
import sparkprop.core.Initializer;
import sparkprop.core.LearningRateSchedule;
import sparkprop.core.Loss;
import sparkprop.core.NetworkSpec;
import sparkprop.core.Optimizer;

/**
 * Everything a training run is configured with. Immutable, and validated on construction: a bad
 * value fails with the option's name, the value and what is allowed. Defaults are not here but in
 * {@code conf/train.properties}; {@link #fromMap} reads that file's keys, which are the
 * command-line option names without dashes.
 */
public record TrainConfig(
        String data,
        int[] layers,
        Activation activation,
        Loss loss,
        Activation output,
        Initializer init,
        double initStd,
        Optimizer.Kind optimizer,
        double learningRate,
        double momentum,
        double weightDecay,
        double inputDropout,
        double dropout,
        double maxNorm,
        double ema,
        LearningRateSchedule.Kind schedule,
        double warmupEpochs,
        double decayEpochs,
        double decayFactor,
        int batchSize,
        int epochs,
        long seed,
        int shards,
        int partitions,
        int validation,
        int patience,
        String master,
        String out) implements Serializable {

    public TrainConfig {
        layers = layers.clone();
        if (layers.length < 2) throw bad("layers", Arrays.toString(layers), "at least an input and an output size, e.g. 784,100,10");
        for (int s : layers) if (s <= 0) throw bad("layers", join(layers), "positive sizes");
        if (output == null) output = loss.defaultOutput();
        if (activation == Activation.SOFTMAX) throw bad("activation", "softmax", "sigmoid, relu, tanh or identity (softmax is the ce output)");
        if (!loss.accepts(output)) throw bad("output", output.id(), loss == Loss.CE ? "softmax with --loss ce" : "sigmoid or identity with --loss mse");
        if (!(initStd > 0) || !Double.isFinite(initStd)) throw bad("init-std", initStd, "a positive number");
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) throw bad("learning-rate", learningRate, "a positive number");
        if (!(momentum >= 0 && momentum < 1)) throw bad("momentum", momentum, "a number in [0, 1)");
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) throw bad("weight-decay", weightDecay, "a number >= 0");
        if (!(inputDropout >= 0 && inputDropout < 1)) throw bad("input-dropout", inputDropout, "a rate in [0, 1)");
        if (!(dropout >= 0 && dropout < 1)) throw bad("dropout", dropout, "a rate in [0, 1)");
        if (!(maxNorm >= 0) || !Double.isFinite(maxNorm)) throw bad("max-norm", maxNorm, "a number >= 0 (0 turns it off)");
        if (!(ema >= 0 && ema < 1)) throw bad("ema", ema, "a decay in [0, 1) (0 turns it off), e.g. 0.999");
        if (!(warmupEpochs >= 0) || !Double.isFinite(warmupEpochs)) throw bad("warmup", warmupEpochs, "a number of epochs >= 0");
        if (!(decayEpochs > 0) || !Double.isFinite(decayEpochs)) throw bad("decay-epochs", decayEpochs, "a positive number of epochs");
        if (!(decayFactor > 0 && decayFactor <= 1)) throw bad("decay-factor", decayFactor, "a number in (0, 1]");
        if (batchSize <= 0) throw bad("batch-size", batchSize, "a positive whole number");
        if (epochs <= 0) throw bad("epochs", epochs, "a positive whole number");
        if (shards <= 0 || shards > 2048) throw bad("shards", shards, "a whole number from 1 to 2048");
        if (batchSize < shards) throw bad("batch-size", batchSize, "at least --shards (" + shards + "), so every shard gives an example per step");
        if (partitions < 0) throw bad("partitions", partitions, "0 (one per core) or a positive whole number");
        if (validation < 0) throw bad("validation", validation, "a whole number >= 0");
        if (patience < 0) throw bad("patience", patience, "a whole number >= 0 (0 turns early stopping off)");
        if (master == null || master.isBlank()) throw bad("master", "''", "a Spark master URL such as local[*] or spark://host:7077");
    }

    /** The network for data of the given width; the first layer size must match it. */
    public NetworkSpec network(int inputWidth) {
        if (layers[0] != inputWidth) {
            throw new IllegalArgumentException("--layers " + join(layers) + " expects " + layers[0] + " inputs but the data has "
                    + inputWidth + " pixels per example (use --layers " + inputWidth + join(layers).substring(join(layers).indexOf(',')) + ")");
        }
        return new NetworkSpec(layers, activation, output, loss);
    }

    public TrainConfig withInputWidth(int width) {
        int[] l = layers.clone();
        l[0] = width;
        return with("layers", join(l));
    }

    public TrainConfig withOut(String newOut) {
        return with("out", newOut);
    }

    /** The dropout applied while training (prediction never drops). */
    public sparkprop.core.Dropout dropoutRates() {
        return new sparkprop.core.Dropout((float) inputDropout, (float) dropout);
    }

    public LearningRateSchedule learningRateSchedule(int stepsPerEpoch) {
        long total = (long) stepsPerEpoch * epochs;
        return new LearningRateSchedule(schedule, learningRate, total, Math.round(warmupEpochs * stepsPerEpoch),
                Math.max(1, Math.round(decayEpochs * stepsPerEpoch)), decayFactor);
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }

    /** The file in {@code conf/} (carried in the jar as a resource) that holds every default. */
    public static final String DEFAULTS_RESOURCE = "train.properties";

    /** The shipped defaults, as option name to value. */
    public static Map<String, String> defaultValues() {
        try (java.io.InputStream in = TrainConfig.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath; rebuild the jar");
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            Map<String, String> m = new LinkedHashMap<>();
            for (String key : p.stringPropertyNames()) m.put(key, p.getProperty(key).trim());
            return m;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + DEFAULTS_RESOURCE, e);
        }
    }

    /** The shipped defaults as a config; change values with {@link #with}. */
    public static TrainConfig defaults() {
        return fromMap(defaultValues());
    }

    /**
     * A copy with one setting changed, by its option name: {@code with("learning-rate", "0.05")}.
     * The copy is validated like any other config.
     */
    public TrainConfig with(String option, String value) {
        Map<String, String> m = toMap();
        m.put(option, value);
        return fromMap(m);
    }

    /** Builds a config from option-name keys; every key must be known and every value parse. */
    public static TrainConfig fromMap(Map<String, String> values) {
        Map<String, String> v = new LinkedHashMap<>(values);
        for (String key : v.keySet()) {
            if (!KEYS.contains(key)) throw new IllegalArgumentException("unknown setting '" + key + "' (known: " + String.join(", ", KEYS) + ")");
        }
        String output = v.getOrDefault("output", "");
        Loss loss = parse("loss", v, Loss::parse);
        return new TrainConfig(
                v.getOrDefault("data", ""),
                parse("layers", v, TrainConfig::parseSizes),
                parse("activation", v, Activation::parse),
                loss,
                output.isBlank() || output.equals("auto") ? null : parse("output", v, Activation::parse),
                parse("init", v, Initializer::parse),
                parse("init-std", v, Double::parseDouble),
                parse("optimizer", v, Optimizer.Kind::parse),
                parse("learning-rate", v, Double::parseDouble),
                parse("momentum", v, Double::parseDouble),
                parse("weight-decay", v, Double::parseDouble),
                parse("input-dropout", v, Double::parseDouble),
                parse("dropout", v, Double::parseDouble),
                parse("max-norm", v, Double::parseDouble),
                parse("ema", v, Double::parseDouble),
                parse("schedule", v, LearningRateSchedule.Kind::parse),
                parse("warmup", v, Double::parseDouble),
                parse("decay-epochs", v, Double::parseDouble),
                parse("decay-factor", v, Double::parseDouble),
                parse("batch-size", v, Integer::parseInt),
                parse("epochs", v, Integer::parseInt),
                parse("seed", v, Long::parseLong),
                parse("shards", v, Integer::parseInt),
                parse("partitions", v, Integer::parseInt),
                parse("validation", v, Integer::parseInt),
                parse("patience", v, Integer::parseInt),
                v.getOrDefault("master", ""),
                v.getOrDefault("out", ""));
    }

    /** The config as option-name keys, the inverse of {@link #fromMap}; what summaries and checkpoints record. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("data", data);
        m.put("layers", join(layers));
        m.put("activation", activation.id());
        m.put("loss", loss.id());
        m.put("output", output.id());
        m.put("init", init.id());
        m.put("init-std", Double.toString(initStd));
        m.put("optimizer", optimizer.id());
        m.put("learning-rate", Double.toString(learningRate));
        m.put("momentum", Double.toString(momentum));
        m.put("weight-decay", Double.toString(weightDecay));
        m.put("input-dropout", Double.toString(inputDropout));
        m.put("dropout", Double.toString(dropout));
        m.put("max-norm", Double.toString(maxNorm));
        m.put("ema", Double.toString(ema));
        m.put("schedule", schedule.id());
        m.put("warmup", Double.toString(warmupEpochs));
        m.put("decay-epochs", Double.toString(decayEpochs));
        m.put("decay-factor", Double.toString(decayFactor));
        m.put("batch-size", Integer.toString(batchSize));
        m.put("epochs", Integer.toString(epochs));
        m.put("seed", Long.toString(seed));
        m.put("shards", Integer.toString(shards));
        m.put("partitions", Integer.toString(partitions));
        m.put("validation", Integer.toString(validation));
        m.put("patience", Integer.toString(patience));
        m.put("master", master);
        m.put("out", out);
        return m;
    }

    public static final java.util.List<String> KEYS = java.util.List.of("data", "layers", "activation", "loss", "output", "init",
            "init-std", "optimizer", "learning-rate", "momentum", "weight-decay", "input-dropout", "dropout", "max-norm", "ema", "schedule", "warmup", "decay-epochs",
            "decay-factor", "batch-size", "epochs", "seed", "shards", "partitions", "validation", "patience", "master", "out");

    private interface Parser<T> {
        T parse(String s);
    }

    private static <T> T parse(String key, Map<String, String> v, Parser<T> parser) {
        String raw = v.get(key);
        if (raw == null || raw.isBlank()) throw new IllegalArgumentException("--" + key + " has no value (and no default in conf/train.properties)");
        try {
            return parser.parse(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": '" + raw.trim() + "' is not a number");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + key + ": " + e.getMessage());
        }
    }

    static int[] parseSizes(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    static String join(int[] sizes) {
        return String.join(",", Arrays.stream(sizes).mapToObj(Integer::toString).toList());
    }

    private static IllegalArgumentException bad(String option, Object value, String expected) {
        return new IllegalArgumentException("--" + option + " " + (value instanceof String s ? s : String.valueOf(value).toLowerCase(Locale.ROOT))
                + ": expected " + expected);
    }
}
