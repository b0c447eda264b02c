package sparkprop.train;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.function.Predicate;
import sparkprop.core.Activation;
import sparkprop.core.Augment;
import sparkprop.core.BadInputException;
import sparkprop.core.Initializer;
import sparkprop.core.LearningRateSchedule;
import sparkprop.core.Loss;
import sparkprop.core.Optimizer;

/**
 * The one table of training options. Each row gives the option's key (the command-line name
 * without dashes, and the key in {@code conf/*.properties} and in checkpoints), whether it shapes
 * the model's bits ({@link Scope#MODEL}, kept in {@link TrainConfig} and in checkpoints) or only
 * how and where a run happens ({@link Scope#RUN}, kept in {@link RunSettings}), the record
 * component it fills, its value label and help for {@code --help}, how a value is read and
 * written, and what makes a value valid.
 *
 * <p>Defaults are not here: they live in {@code conf/train.properties} (in the jar as a resource),
 * read by {@link #defaults()}. The config records are built from this table by
 * {@link #build}, the CLI adds one option per row, and a test holds the option table of docs/training.md to
 * it. Adding an option: a row here, a component in {@link TrainConfig} (or {@link RunSettings}),
 * a line in {@code conf/train.properties}, a row in docs/training.md.
 */
public final class Options {
    /** What an option shapes: the model's bits, or only how and where the run happens. */
    public enum Scope { MODEL, RUN }

    /** The file in {@code conf/} (carried in the jar as a resource) that holds every default. */
    public static final String DEFAULTS_RESOURCE = "train.properties";

    /**
     * The most logical shards a run may have. {@link FixedPoint} relies on it: a shard adds at most
     * 2^20·2^32 per value, so 2^11 shards stay inside a long.
     */
    public static final int MAX_SHARDS = FixedPoint.MAX_SHARDS;

    /** The value of {@code shards} that lets the partitions decide (held as 0 in {@link TrainConfig} until a run resolves it). */
    public static final String AUTO = "auto";

    /**
     * One option.
     *
     * @param absent   the value a checkpoint written before the option existed trained with
     *                 (null: every checkpoint has it)
     * @param expected what a valid value is, for the error message; null when any parsed value is valid
     */
    public record Option<T>(String key, Scope scope, String field, String label, String help, Function<String, T> parse,
                            Function<T, String> format, Predicate<T> valid, String expected, String absent) {
        /** Reads and checks a value; the message names the option and the value. */
        public T read(String raw) {
            if (raw == null) throw new BadInputException("--" + key + " has no value (and no default in conf/" + DEFAULTS_RESOURCE + ")");
            T value;
            try {
                value = parse.apply(raw.trim());
            } catch (NumberFormatException e) {
                throw new BadInputException("--" + key + ": '" + raw.trim() + "' is not a number");
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--" + key + ": " + e.getMessage());
            }
            check(value);
            return value;
        }

        public void check(T value) {
            if (valid != null && !valid.test(value)) {
                String shown = value instanceof String s ? (s.isEmpty() ? "''" : s) : format.apply(value).toLowerCase(Locale.ROOT);
                throw bad(key, shown, expected);
            }
            if (scope == Scope.MODEL && value instanceof Double d) checkFloat32(d);
        }

        /**
         * The training's arithmetic is float32: a value that rounds to 0 there, overflows, or rounds
         * out of its range (a momentum of 0.999999999 becomes 1) would train as something else than
         * asked, and then diverge or stall with advice that blames the wrong option.
         */
        @SuppressWarnings("unchecked")
        private void checkFloat32(double d) {
            float f = (float) d;
            String shown = format.apply((T) Double.valueOf(d)).toLowerCase(Locale.ROOT);
            if (d != 0 && f == 0) throw bad(key, shown, "a value float32 holds (this rounds to 0 in float32, which training computes in; "
                    + "the smallest is " + Float.MIN_VALUE + ")");
            if (Float.isInfinite(f)) throw bad(key, shown, "a value float32 holds (this overflows float32, which training computes in; "
                    + "the largest is " + Float.MAX_VALUE + ")");
            if (valid != null && !valid.test((T) Double.valueOf(f))) {
                throw bad(key, shown, expected + " after rounding to float32, which training computes in (it rounds to " + f + ")");
            }
        }

        public String write(Object value) {
            @SuppressWarnings("unchecked") T v = (T) value;
            return format.apply(v);
        }
    }

    private static Option<Double> real(String key, Scope scope, String field, String label, String help, Predicate<Double> valid,
                                       String expected, String absent) {
        return new Option<>(key, scope, field, label, help, Double::parseDouble, Options::number, valid, expected, absent);
    }

    private static Option<Integer> whole(String key, Scope scope, String field, String label, String help, Predicate<Integer> valid,
                                         String expected) {
        return new Option<>(key, scope, field, label, help, Integer::parseInt, String::valueOf, valid, expected, null);
    }

    private static Option<String> text(String key, String label, String help, Predicate<String> valid, String expected) {
        return text(key, key, label, help, valid, expected);
    }

    private static Option<String> text(String key, String field, String label, String help, Predicate<String> valid, String expected) {
        return new Option<>(key, Scope.RUN, field, label, help, s -> s, s -> s, valid, expected, null);
    }

    private static final Scope M = Scope.MODEL;

    public static final List<Option<?>> ALL = List.of(
            text("data", "PATH", "IDX folder (raw or .gz), .npz file, text-bitmap folder/.zip, or a table: Parquet, ORC, CSV or LIBSVM "
                    + "file or folder; any Hadoop path.", null, null),
            text("test-data", "testData", "PATH", "For a table: the test set, another table (empty: none, or --test-fraction).", null, null),
            real("test-fraction", Scope.RUN, "testFraction", "F", "For a table: the share of its rows set aside as the test set, chosen by "
                    + "--seed from each row's place in the file order (0: none).", v -> v >= 0 && v < 1, "a fraction in [0, 1)", null),
            text("features-col", "featuresCol", "NAME", "For a Parquet or ORC table: the features column (an ml Vector or an array of "
                    + "numbers); when the default is absent, every numeric column but the label.", s -> !s.isBlank(), "a column name"),
            text("label-col", "labelCol", "NAME", "For a Parquet or ORC table: the column of class indices 0..K-1.", s -> !s.isBlank(),
                    "a column name"),
            new Option<>("layers", M, "layers", "SIZES", "Layer sizes, e.g. 784,100,10 (the input size follows the data unless given here or in --config).",
                    Options::parseSizes, Options::join, l -> l.length >= 2 && Arrays.stream(l).allMatch(s -> s > 0),
                    "positive sizes, at least an input and an output size, e.g. 784,100,10", null),
            new Option<>("activation", M, "activation", "NAME", "Hidden activation: sigmoid, relu, tanh, identity or softmax.", Activation::parse,
                    Activation::id, null, null, null),
            new Option<>("loss", M, "loss", "NAME", "ce (softmax + cross-entropy) or mse (squared error).", Loss::parse, Loss::id, null, null, null),
            new Option<Activation>("output", M, "output", "NAME", "Output activation for mse: sigmoid, relu, tanh, identity or softmax (ce always uses softmax; auto: the loss's own).",
                    s -> s.isBlank() || s.equals("auto") ? null : Activation.parse(s), a -> a == null ? "auto" : a.id(), null, null, null),
            new Option<>("init", M, "init", "NAME", "Initialiser: he, xavier, normal, standard-normal, uniform, zeros, ones.", Initializer::parse,
                    Initializer::id, null, null, null),
            real("init-std", M, "initStd", "STD", "Standard deviation of --init normal.", v -> v > 0 && Double.isFinite(v), "a positive number", null),
            new Option<>("optimizer", M, "optimizer", "NAME", "sgd, momentum, nesterov or adam.", Optimizer.Kind::parse, Optimizer.Kind::id, null, null, null),
            real("learning-rate", M, "learningRate", "X", "Base learning rate for the global batch. Unless given, it follows a fitted "
                    + "--batch-size by the square-root rule: rate x sqrt(batch / 512).", v -> v > 0 && Double.isFinite(v),
                    "a positive number", null),
            real("momentum", M, "momentum", "M", "Momentum coefficient for momentum/nesterov, in [0, 1).", v -> v >= 0 && v < 1, "a number in [0, 1)", null),
            real("adam-beta1", M, "adamBeta1", "B1", "Adam's decay of the gradient's moving mean.", v -> v >= 0 && v < 1, "a number in [0, 1)", "0.9"),
            real("adam-beta2", M, "adamBeta2", "B2", "Adam's decay of the squared gradient's moving mean.", v -> v >= 0 && v < 1, "a number in [0, 1)", "0.999"),
            real("adam-epsilon", M, "adamEpsilon", "EPS", "Added to Adam's denominator.", v -> v > 0 && Double.isFinite(v), "a positive number", "1e-8"),
            real("weight-decay", M, "weightDecay", "L2", "L2 weight decay (decoupled, AdamW-style, with adam).", v -> v >= 0 && Double.isFinite(v),
                    "a number >= 0", null),
            real("input-dropout", M, "inputDropout", "RATE", "Fraction of input pixels dropped at each training step (inverted dropout; 0: off).",
                    v -> v >= 0 && v < 1, "a rate in [0, 1)", "0"),
            real("dropout", M, "dropout", "RATE", "Fraction of hidden units dropped at each training step (inverted dropout; 0: off).",
                    v -> v >= 0 && v < 1, "a rate in [0, 1)", "0"),
            real("max-norm", M, "maxNorm", "C", "Limit on the L2 norm of each unit's incoming weights, applied after every update (0: off).",
                    v -> v >= 0 && Double.isFinite(v), "a number >= 0 (0 turns it off)", "0"),
            real("ema", M, "ema", "DECAY", "Evaluate and save an exponential moving average of the parameters over steps, with this decay per step "
                    + "(e.g. 0.999; 0: off). Training continues from the raw parameters.", v -> v >= 0 && v < 1,
                    "a decay in [0, 1) (0 turns it off), e.g. 0.999", "0"),
            new Option<>("augment", M, "augment", "SPEC", "Random distortions of every training image at every step, each drawn uniformly "
                    + "within +-value: shift (pixels), rotate (degrees), scale (fraction), shear (degrees), elastic-alpha and elastic-sigma "
                    + "(Simard's elastic distortion, e.g. 34 and 4); e.g. shift=2,rotate=10 (none: off). Square images only: IDX, npz, "
                    + "text bitmaps, tables of 0-255 pixels.", Augment::parse, Augment::spec, null, null, "none"),
            new Option<>("schedule", M, "schedule", "NAME", "Learning-rate schedule: constant, step or cosine.", LearningRateSchedule.Kind::parse,
                    LearningRateSchedule.Kind::id, null, null, null),
            real("warmup", M, "warmupEpochs", "EPOCHS", "Linear learning-rate warm-up, in epochs (may be fractional).", v -> v >= 0 && Double.isFinite(v),
                    "a number of epochs >= 0", null),
            real("decay-epochs", M, "decayEpochs", "EPOCHS", "For --schedule step: epochs between decays.", v -> v > 0 && Double.isFinite(v),
                    "a positive number of epochs", null),
            real("decay-factor", M, "decayFactor", "F", "For --schedule step: factor applied at each decay.", v -> v > 0 && v <= 1, "a number in (0, 1]", null),
            whole("batch-size", M, "batchSize", "B", "Global mini-batch size, whatever the number of executors. Unless given, halved for "
                    + "small training sets until an epoch has at least " + DataSizeDefaults.MIN_STEPS_PER_EPOCH + " steps (not below "
                    + DataSizeDefaults.MIN_BATCH + " or --shards).", v -> v > 0, "a positive whole number"),
            whole("epochs", M, "epochs", "N", "Epochs to train.", v -> v > 0, "a positive whole number"),
            new Option<>("seed", M, "seed", "S", "Seed of every random choice (init, shuffling, hold-out, dropout).", Long::parseLong, String::valueOf,
                    null, null, null),
            new Option<>("shards", M, "shards", "L", "Logical data shards; with the seed, fixes the result bit for bit on any cluster. "
                    + "auto (0 in the Estimator): the smallest multiple of the partitions that is at least " + sparkprop.shards.ShardLayout.MIN_AUTO_SHARDS
                    + " (at most the batch), so every task slot gets shards; the run's summary.json records the number chosen.",
                    s -> s.equals(AUTO) ? 0 : Integer.parseInt(s), v -> v == 0 ? AUTO : String.valueOf(v), v -> v >= 0 && v <= MAX_SHARDS,
                    "auto or a whole number from 1 to " + MAX_SHARDS, null),
            whole("validation", M, "validation", "N", "Training examples held out for validation and model selection.", v -> v >= 0,
                    "a whole number >= 0"),
            whole("patience", M, "patience", "P", "Stop after P epochs without a better validation loss (0: never).", v -> v >= 0,
                    "a whole number >= 0 (0 turns early stopping off)"),
            whole("partitions", Scope.RUN, "partitions", "P", "Spark partitions holding the shards (0: one per task slot, counted once the executors asked for are there); never changes the result.",
                    v -> v >= 0, "0 (one per task slot) or a positive whole number"),
            new Option<>("sync", Scope.RUN, "sync", "MODE", "How steps reach the executors: stage (one gang-scheduled Spark stage per "
                    + "epoch runs all its steps), jobs (a Spark job per step), auto (the stage where it can run); never changes the result.",
                    Sync::parse, Sync::id, null, null, "auto"),
            whole("checkpoint-every", Scope.RUN, "checkpointEvery", "N", "Also write the checkpoint every N steps within an epoch, for epochs "
                    + "that take hours (0: at epoch ends only); --resume continues from the step, with the same bits.", v -> v >= 0,
                    "0 (epoch ends only) or a positive whole number of steps"),
            text("master", "URL", "Spark master; spark-submit's own master wins when this is not given.", s -> !s.isBlank(),
                    "a Spark master URL such as local[*] or spark://host:7077"),
            text("out", "DIR", "Run folder (" + RunSettings.TIMESTAMP + " becomes the start time); must not exist or be empty.", null, null));

    private Options() {
    }

    public static Option<?> get(String key) {
        for (Option<?> o : ALL) if (o.key().equals(key)) return o;
        throw new IllegalArgumentException("no option " + key);
    }

    /** The keys of every option, in table order. */
    public static List<String> keys() {
        return ALL.stream().map(Option::key).toList();
    }

    /** The shipped defaults ({@code conf/train.properties}), as option key to value. */
    public static Map<String, String> defaults() {
        try (InputStream in = Options.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath; rebuild the jar");
            return checkedMap(in, DEFAULTS_RESOURCE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DEFAULTS_RESOURCE, e);
        }
    }

    /** A properties stream's settings, every key checked against the table; {@code where} names it in messages. */
    public static Map<String, String> checkedMap(InputStream in, String where) throws IOException {
        Properties p = new Properties();
        p.load(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8));
        Map<String, String> m = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) m.put(key, p.getProperty(key).trim());
        checkKnown(m, where);
        return m;
    }

    /** Refuses keys the table does not have, naming where they came from. */
    public static void checkKnown(Map<String, String> values, String where) {
        for (String key : values.keySet()) {
            if (!keys().contains(key)) throw new BadInputException(where + ": unknown setting '" + key + "' (known: " + String.join(", ", keys()) + ")");
        }
    }

    /**
     * Builds a config record (TrainConfig or RunSettings) from option keys: each component is read
     * by the row that names it; keys of the other scope are ignored, unknown keys refused.
     */
    static <R extends Record> R build(Class<R> type, Map<String, String> values) {
        checkKnown(values, "settings");
        RecordComponent[] components = type.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            Option<?> option = forField(components[i].getName());
            String raw = values.containsKey(option.key()) ? values.get(option.key()) : option.absent();
            args[i] = option.read(raw);
            types[i] = components[i].getType();
        }
        try {
            Constructor<R> canonical = type.getDeclaredConstructor(types);
            return canonical.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + type.getSimpleName(), e);
        }
    }

    /** A config record as option keys, the inverse of {@link #build}. */
    static Map<String, String> toMap(Record config) {
        Map<String, String> m = new LinkedHashMap<>();
        for (RecordComponent c : config.getClass().getRecordComponents()) {
            try {
                m.put(forField(c.getName()).key(), forField(c.getName()).write(c.getAccessor().invoke(config)));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return m;
    }

    private static Option<?> forField(String field) {
        for (Option<?> o : ALL) if (o.field().equals(field)) return o;
        throw new IllegalStateException("no option fills the component " + field);
    }

    static int[] parseSizes(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    static String join(int[] sizes) {
        return String.join(",", Arrays.stream(sizes).mapToObj(Integer::toString).toList());
    }

    /** Doubles as checkpoints and summaries have always written them (Double.toString). */
    private static String number(Double v) {
        return Double.toString(v);
    }

    static BadInputException bad(String option, String value, String expected) {
        return new BadInputException("--" + option + " " + value + ": expected " + expected);
    }
}
