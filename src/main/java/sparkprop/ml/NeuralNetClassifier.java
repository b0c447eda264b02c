package sparkprop.ml;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import sparkprop.core.Model;
import sparkprop.tables.TableShards;
import sparkprop.train.Options;
import sparkprop.train.TrainConfig;
import sparkprop.train.Sync;
import sparkprop.train.Trainer;
import sparkprop.train.TrainingListener;
import sparkprop.train.TrainingResult;
import sparkprop.train.TrainingState;

/**
 * A spark.ml Estimator for fully-connected networks, trained by sparkprop's synchronous, exact
 * data-parallel loop: the same rows in the same order, seed and shards give the same bits as
 * {@code scripts/train} on the same examples. Features: an ml Vector column of size
 * {@code layers[0]}; label: class indices 0..K-1 with K = the last layer's size. Drop-in for
 * MLlib's {@code MultilayerPerceptronClassifier} ({@code layers}, {@code stepSize}, {@code maxIter},
 * {@code seed}, {@code blockSize}, {@code initialWeights} mean the same), with every other
 * hyperparameter of the command line as a Param (see {@link NeuralNetParams}).
 */
public final class NeuralNetClassifier extends ProbabilisticClassifier<Vector, NeuralNetClassifier, NeuralNetClassificationModel>
        implements DefaultParamsWritable {
    // Set by uid() while the Scala constructors run (see ConstructionUid): no initializer here, or it would be reset after them.
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(NeuralNetClassifier.class);
    private String uid;
    private NeuralNetParams table;
    private IntParam blockSize;
    private Param<Vector> initialWeights;
    private IntParam partitions;
    private Param<String> sync;
    private Param<String> validationIndicatorCol;
    private Param<String> checkpointPath;

    public NeuralNetClassifier() {
        this(Identifiable.randomUID("nnc"));
    }

    public NeuralNetClassifier(String uid) {
        this(ConstructionUid.give(uid));
    }

    private NeuralNetClassifier(Void uidHandedOver) {
        super();
        uid(); // takes the handed-over uid, had the Scala constructors not already
        Map<String, String> defaults = Options.defaults();
        for (Map.Entry<String, Param<?>> e : table().all().entrySet()) {
            @SuppressWarnings("unchecked")
            Param<Object> p = (Param<Object>) e.getValue();
            setDefault(p, NeuralNetParams.typedDefault(p, defaults.get(e.getKey())));
        }
        setDefault(blockSize(), NeuralNetParams.BLOCK_SIZE);
        setDefault(partitions(), 0);
        setDefault(sync(), Sync.AUTO.id());
    }

    @Override
    public String uid() {
        if (uid == null) uid = ConstructionUid.take("nnc");
        return uid;
    }

    private NeuralNetParams table() {
        if (table == null) table = new NeuralNetParams(this);
        return table;
    }

    // --- Params: MLlib's names first, then the command line's options in camelCase --------------

    public IntArrayParam layers() { return table().ints("layers"); }
    public DoubleParam stepSize() { return table().d("learning-rate"); }
    public IntParam maxIter() { return table().i("epochs"); }
    public LongParam seed() { return table().l("seed"); }

    /** Rows stacked into one matrix when predicting (MLlib's meaning); training batches are {@link #batchSize}. */
    public IntParam blockSize() {
        if (blockSize == null) blockSize = NeuralNetParams.blockSize(this);
        return blockSize;
    }

    /** Starting parameters instead of the initializer's (MLlib's layout is not ours: W (in, out) row-major then b, per layer). */
    public Param<Vector> initialWeights() {
        if (initialWeights == null) initialWeights = new Param<>(this, "initialWeights", "starting parameters, one flat vector", NeuralNetParams.check(v -> true));
        return initialWeights;
    }

    /** Spark partitions holding the shards (0: one per task slot); never changes the result. */
    public IntParam partitions() {
        if (partitions == null) partitions = new IntParam(this, "partitions", "Spark partitions holding the shards (0: one per task slot)", NeuralNetParams.check(v -> (Integer) v >= 0));
        return partitions;
    }

    /**
     * As GBTClassifier's: a boolean column; rows marked true are held out of training and scored
     * each epoch to keep the model with the lowest validation loss and, with {@code patience}, to
     * stop early. Unset: none (or the {@code validation} option's count of held-out examples).
     */
    public Param<String> validationIndicatorCol() {
        if (validationIndicatorCol == null) {
            validationIndicatorCol = new Param<>(this, "validationIndicatorCol", "name of a boolean column: rows marked true validate instead of train",
                    NeuralNetParams.nonBlank());
        }
        return validationIndicatorCol;
    }

    public NeuralNetClassifier setValidationIndicatorCol(String v) { return (NeuralNetClassifier) set(validationIndicatorCol(), v); }

    /**
     * Where a fit keeps its checkpoint after every epoch (any Hadoop path), and continues from it
     * when one of the same configuration and training rows is there: a fit that a driver restart
     * interrupted, run again, ends in the bits of an uninterrupted one. Unset: no checkpoints.
     */
    public Param<String> checkpointPath() {
        if (checkpointPath == null) {
            checkpointPath = new Param<>(this, "checkpointPath", "Hadoop path where fit keeps its checkpoints and continues from one of the same fit",
                    NeuralNetParams.nonBlank());
        }
        return checkpointPath;
    }

    public NeuralNetClassifier setCheckpointPath(String v) { return (NeuralNetClassifier) set(checkpointPath(), v); }

    /** How steps reach the executors, as --sync: "stage", "jobs" or "auto" (the stage where it can run); never changes the result. */
    public Param<String> sync() {
        if (sync == null) {
            sync = new Param<>(this, "sync", "how steps reach the executors: stage, jobs or auto (the stage where it can run)",
                    NeuralNetParams.check(v -> java.util.Arrays.stream(Sync.values()).anyMatch(m -> m.id().equals(v))));
        }
        return sync;
    }

    public Param<String> activation() { return table().get("activation"); }
    public Param<String> loss() { return table().get("loss"); }
    public Param<String> output() { return table().get("output"); }
    public Param<String> init() { return table().get("init"); }
    public DoubleParam initStd() { return table().d("init-std"); }
    public Param<String> optimizer() { return table().get("optimizer"); }
    public DoubleParam momentum() { return table().d("momentum"); }
    public DoubleParam adamBeta1() { return table().d("adam-beta1"); }
    public DoubleParam adamBeta2() { return table().d("adam-beta2"); }
    public DoubleParam adamEpsilon() { return table().d("adam-epsilon"); }
    public DoubleParam weightDecay() { return table().d("weight-decay"); }
    public DoubleParam inputDropout() { return table().d("input-dropout"); }
    public DoubleParam dropout() { return table().d("dropout"); }
    public DoubleParam maxNorm() { return table().d("max-norm"); }
    public DoubleParam ema() { return table().d("ema"); }
    public Param<String> augment() { return table().get("augment"); }
    public Param<String> schedule() { return table().get("schedule"); }
    public DoubleParam warmup() { return table().d("warmup"); }
    public DoubleParam decayEpochs() { return table().d("decay-epochs"); }
    public DoubleParam decayFactor() { return table().d("decay-factor"); }
    public IntParam batchSize() { return table().i("batch-size"); }
    public IntParam shards() { return table().i("shards"); }
    public IntParam validation() { return table().i("validation"); }
    public IntParam patience() { return table().i("patience"); }

    public NeuralNetClassifier setLayers(int[] v) { return (NeuralNetClassifier) set(layers(), v); }
    public NeuralNetClassifier setStepSize(double v) { return (NeuralNetClassifier) set(stepSize(), v); }
    public NeuralNetClassifier setMaxIter(int v) { return (NeuralNetClassifier) set(maxIter(), v); }
    public NeuralNetClassifier setSeed(long v) { return (NeuralNetClassifier) set(seed(), v); }
    public NeuralNetClassifier setBlockSize(int v) { return (NeuralNetClassifier) set(blockSize(), v); }
    public NeuralNetClassifier setInitialWeights(Vector v) { return (NeuralNetClassifier) set(initialWeights(), v); }
    public NeuralNetClassifier setPartitions(int v) { return (NeuralNetClassifier) set(partitions(), v); }
    public NeuralNetClassifier setSync(String v) { return (NeuralNetClassifier) set(sync(), v); }
    public NeuralNetClassifier setActivation(String v) { return (NeuralNetClassifier) set(activation(), v); }
    public NeuralNetClassifier setLoss(String v) { return (NeuralNetClassifier) set(loss(), v); }
    public NeuralNetClassifier setOptimizer(String v) { return (NeuralNetClassifier) set(optimizer(), v); }
    public NeuralNetClassifier setMomentum(double v) { return (NeuralNetClassifier) set(momentum(), v); }
    public NeuralNetClassifier setWeightDecay(double v) { return (NeuralNetClassifier) set(weightDecay(), v); }
    public NeuralNetClassifier setDropout(double v) { return (NeuralNetClassifier) set(dropout(), v); }
    public NeuralNetClassifier setInputDropout(double v) { return (NeuralNetClassifier) set(inputDropout(), v); }
    public NeuralNetClassifier setSchedule(String v) { return (NeuralNetClassifier) set(schedule(), v); }
    public NeuralNetClassifier setWarmup(double v) { return (NeuralNetClassifier) set(warmup(), v); }
    public NeuralNetClassifier setBatchSize(int v) { return (NeuralNetClassifier) set(batchSize(), v); }
    public NeuralNetClassifier setShards(int v) { return (NeuralNetClassifier) set(shards(), v); }
    public NeuralNetClassifier setValidation(int v) { return (NeuralNetClassifier) set(validation(), v); }
    /** Distortions of each training image, as --augment: e.g. {@code "shift=2,rotate=10"}. */
    public NeuralNetClassifier setAugment(String v) { return (NeuralNetClassifier) set(augment(), v); }
    /** Any hyperparameter by its command-line name, e.g. {@code set("max-norm", "3")}. */
    public NeuralNetClassifier setOption(String option, String value) {
        Param<?> p = table().get(option);
        if (p == null) throw new sparkprop.core.BadInputException(option + ": not a hyperparameter (see sparkprop.train.Options)");
        @SuppressWarnings("unchecked")
        Param<Object> typed = (Param<Object>) p;
        return (NeuralNetClassifier) set(typed, NeuralNetParams.typedDefault(p, value));
    }

    /** The hyperparameters these params hold, checked (a bad value names its param). */
    public TrainConfig trainConfig() {
        return table().config(this);
    }

    /** Names the column and what it holds before Spark's own schema check can. */
    @Override
    public org.apache.spark.sql.types.StructType transformSchema(org.apache.spark.sql.types.StructType schema) {
        TableShards.checkSchema(schema, getFeaturesCol(), getLabelCol());
        return super.transformSchema(schema);
    }

    /** The Spark job tag every fit's jobs carry (besides {@code sparkprop-fit-<uid>}): {@code cancelJobsWithTag} stops a fit. */
    public static final String JOB_TAG = "sparkprop-fit";

    /**
     * Fits with every Spark job tagged {@link #JOB_TAG} and {@code sparkprop-fit-<uid>} (added to
     * the caller's tags and job group, which stay as they were) and described in the Spark UI. A
     * fit whose jobs are cancelled throws {@link sparkprop.train.TrainingCancelledException} and
     * returns no model; the SparkContext stays usable.
     */
    @Override
    public NeuralNetClassificationModel train(Dataset<?> dataset) {
        org.apache.spark.SparkContext sc = dataset.sparkSession().sparkContext();
        List<String> added = new java.util.ArrayList<>();
        for (String tag : List.of(JOB_TAG, JOB_TAG + "-" + uid())) {
            if (!sc.getJobTags().contains(tag)) {
                sc.addJobTag(tag);
                added.add(tag);
            }
        }
        try {
            return sparkprop.shards.SparkJobs.described(sc, "sparkprop fit " + uid() + ": reading and caching the training rows", () -> fitTagged(dataset));
        } finally {
            for (String tag : added) sc.removeJobTag(tag);
        }
    }

    private NeuralNetClassificationModel fitTagged(Dataset<?> dataset) {
        TrainConfig config = trainConfig();
        int[] layers = config.layers();
        Dataset<?> trainRows = dataset;
        Dataset<?> validationRows = null;
        if (isDefined(validationIndicatorCol())) {
            String indicator = $(validationIndicatorCol());
            org.apache.spark.sql.types.StructType schema = dataset.schema();
            if (!java.util.List.of(schema.fieldNames()).contains(indicator)
                    || !(schema.apply(indicator).dataType() instanceof org.apache.spark.sql.types.BooleanType)) {
                throw new sparkprop.core.BadInputException("validationIndicatorCol '" + indicator + "': expected a boolean column (columns: "
                        + java.util.List.of(schema.fieldNames()) + ")");
            }
            org.apache.spark.sql.Column marked = org.apache.spark.sql.functions.coalesce(dataset.col(indicator), org.apache.spark.sql.functions.lit(false));
            trainRows = dataset.where(org.apache.spark.sql.functions.not(marked));
            validationRows = dataset.where(marked);
        }
        config = config.withShardsFor(sparkprop.shards.TaskSlots.partitionsFor(dataset.sparkSession().sparkContext(), (Integer) getOrDefault(partitions())));
        TableShards shards = TableShards.of(trainRows, getFeaturesCol(), getLabelCol(), layers[0], layers[layers.length - 1], config.shards(),
                (Integer) getOrDefault(partitions()));
        TableShards validation = null;
        // batchSize and stepSize, unless set, fit the table's size as on the command line.
        config = sparkprop.train.DataSizeDefaults.fitTo(config, shards.width(), shards.layout().examples(), table().chosen(this)).config();
        try {
            if (validationRows != null) {
                long marked = validationRows.count();
                if (marked == 0) throw new sparkprop.core.BadInputException("validationIndicatorCol '" + $(validationIndicatorCol()) + "': no row is marked true");
                int parts = (int) Math.min(shards.layout().partitions(), marked);
                validation = TableShards.of(validationRows, getFeaturesCol(), getLabelCol(), layers[0], layers[layers.length - 1], parts, parts,
                        shards.input());
            }
            Trainer trainer = new Trainer(JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext()), shards.blocks(),
                    shards.layout(), shards.width(), null, validation == null ? null : validation.blocks(), shards.input(), config);
            FitCheckpoints checkpoints = isDefined(checkpointPath())
                    ? new FitCheckpoints($(checkpointPath()), dataset.sparkSession().sparkContext().hadoopConfiguration(), config,
                            shards.layout().examples(), shards.width())
                    : null;
            TrainingState resumed;
            try {
                resumed = checkpoints == null ? null : checkpoints.resumable();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("checkpointPath " + $(checkpointPath()) + ": " + e.getMessage(), e);
            }
            if (resumed != null) LOG.info("continuing the fit from the checkpoint in {} after epoch {}", $(checkpointPath()), resumed.epochsDone());
            TrainingState state = resumed != null ? resumed : trainer.initialState();
            if (resumed == null && isDefined(initialWeights()) && get(initialWeights()).isDefined()) {
                double[] w = get(initialWeights()).get().toArray();
                if (w.length != state.params().length) {
                    throw new sparkprop.core.BadInputException("initialWeights: " + w.length + " values but " + trainer.spec().describeSizes()
                            + " has " + state.params().length + " parameters");
                }
                for (int i = 0; i < w.length; i++) state.params()[i] = (float) w[i];
            }
            Sync.Choice mode = trainer.chooseSync(Sync.parse(getOrDefault(sync())));
            if (mode.note() != null) LOG.warn(mode.note());
            String open = trainer.openExchangeWarning(mode.mode());
            if (open != null) LOG.warn(open.substring("warning: ".length()));
            TrainingResult result = trainer.run(state, checkpoints == null ? new TrainingListener() { } : checkpoints.writer(), config.epochs(),
                    mode.mode());
            return new NeuralNetClassificationModel(uid(), result.model())
                    .setSummary(new NeuralNetTrainingSummary(result.history(), result.bestEpoch(), result.stoppedEarly()));
        } finally {
            shards.blocks().unpersist(false);
            if (validation != null) validation.blocks().unpersist(false);
        }
    }

    @Override
    public NeuralNetClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    public static MLReader<NeuralNetClassifier> read() {
        return new org.apache.spark.ml.util.DefaultParamsReader<>();
    }

    public static NeuralNetClassifier load(String path) {
        return read().load(path);
    }
}
