package sparkprop.train;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import sparkprop.core.Dropout;
import sparkprop.core.LearningRateSchedule;
import sparkprop.core.MaxNorm;
import sparkprop.core.Model;
import sparkprop.core.NetworkSpec;
import sparkprop.core.Optimizer;
import sparkprop.core.ParameterAverage;
import sparkprop.data.Dataset;

/**
 * Synchronous data-parallel SGD on Spark. Each step: broadcast the parameters, let every
 * partition sum the gradients of its shards' part of the global batch, tree-reduce the exact sums
 * to the driver, update there, destroy the broadcast. Same seed and shard count give the same
 * bits on any number of executors (see {@link GradientSum}).
 */
public final class Trainer {
    /** Above this many partitions the step's sums are tree-reduced so the driver does not receive them all. */
    static final int TREE_THRESHOLD = 8;

    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final NetworkSpec spec;
    private final JavaRDD<ShardBlock> train;
    private final JavaRDD<ShardBlock> test;
    private final ShardLayout layout;
    private final int stepsPerEpoch;

    /**
     * Spark settings the loop runs better with, set unless the user set them: call on the
     * SparkConf before starting a context ({@code train} and {@code submit} do).
     * <ul>
     * <li>Every step each task returns its gradient sum, about 4 bytes a parameter. Above
     *     {@code spark.task.maxDirectResultSize} (1 MB by default) Spark parks a result in the block
     *     manager and the driver fetches it in a second round trip: measured here on 784-1024-1024-10,
     *     145 ms a step instead of 116. Spark caps the setting at {@code spark.rpc.message.maxSize}.</li>
     * </ul>
     */
    public static void tune(org.apache.spark.SparkConf conf) {
        conf.setIfMissing("spark.task.maxDirectResultSize", "128m");
    }

    /** Reads and caches the data; fails here (before any step) on bad data or a config that does not fit it. */
    public Trainer(JavaSparkContext sc, Dataset data, TrainConfig config) {
        this.sc = sc;
        this.config = config;
        this.spec = check(data, config);
        int partitions = config.partitions() > 0 ? config.partitions() : sc.defaultParallelism();
        this.layout = new ShardLayout(data.train().count(), config.shards(), partitions);
        this.stepsPerEpoch = ShardSampler.stepsPerEpoch(layout, config.batchSize(), config.validation());
        HadoopConf hadoop = HadoopConf.of(sc.hadoopConfiguration());
        this.train = ShardedData.load(sc, data.train(), layout, spec.outputSize(), hadoop);
        int testParts = Math.min(partitions, data.test().count());
        this.test = ShardedData.load(sc, data.test(), new ShardLayout(data.test().count(), testParts, testParts), spec.outputSize(), hadoop);
    }

    /**
     * Trains a network as configured, the whole run in one call: the library entry point for a
     * user's own Spark application.
     *
     * <pre>{@code
     * Dataset data = Dataset.open("hdfs:///data/mnist", sc.hadoopConfiguration());
     * TrainConfig config = TrainConfig.defaults().with("epochs", "5");
     * TrainingResult result = Trainer.train(sc, data, config);
     * result.model().save(Path.of("model.bin"));
     * }</pre>
     *
     * @return the kept model (best by validation loss with {@code validation > 0}, else the last)
     *         and the per-epoch history
     */
    public static TrainingResult train(JavaSparkContext sc, Dataset data, TrainConfig config) {
        Trainer trainer = new Trainer(sc, data, config);
        return trainer.run(trainer.initialState(), new TrainingListener() { });
    }

    /**
     * Checks that a config fits a dataset (input width, shards, hold-out and batch against the
     * example count) from headers alone, so callers can refuse it before Spark starts.
     */
    public static NetworkSpec check(Dataset data, TrainConfig config) {
        NetworkSpec spec = config.network(data.width());
        int examples = data.train().count();
        if (config.shards() > examples) {
            throw new IllegalArgumentException("--shards " + config.shards() + ": more than the " + examples + " training examples");
        }
        if (config.validation() >= examples) {
            throw new IllegalArgumentException("--validation " + config.validation() + ": must be less than the " + examples + " training examples");
        }
        if (ShardSampler.stepsPerEpoch(new ShardLayout(examples, config.shards(), 1), config.batchSize(), config.validation()) < 1) {
            throw new IllegalArgumentException("--batch-size " + config.batchSize() + ": larger than the " + (examples - config.validation())
                    + " training examples (after --validation) spread over " + config.shards() + " shards");
        }
        return spec;
    }

    public NetworkSpec spec() {
        return spec;
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** The cached training shards (for benchmarks and tests). */
    JavaRDD<ShardBlock> train() {
        return train;
    }

    public ShardLayout layout() {
        return layout;
    }

    /** Drops the cached training and test data from the executors' memory; the trainer is unusable after. */
    public void release() {
        train.unpersist(false);
        test.unpersist(false);
    }

    /** A fresh state: initialised parameters and zeroed optimizer state. */
    public TrainingState initialState() {
        float[] params = new float[spec.parameterCount()];
        config.init().initialize(spec, params, config.seed(), config.initStd());
        return new TrainingState(params, newOptimizer(params.length).state());
    }

    private Optimizer newOptimizer(int n) {
        return newOptimizer(config, n);
    }

    /** The optimizer a config asks for, over {@code n} parameters. */
    public static Optimizer newOptimizer(TrainConfig config, int n) {
        return Optimizer.create(config.optimizer(), n, (float) config.momentum(), (float) config.weightDecay());
    }

    /**
     * What every step does with the mean gradient: the optimizer's update, then the max-norm
     * constraint if configured. Shared with the benchmark's plain loop, which must end in the same bits.
     */
    public static void update(TrainConfig config, NetworkSpec spec, Optimizer optimizer, float[] params, float[] gradient, float rate) {
        optimizer.update(params, gradient, rate);
        if (config.maxNorm() > 0) MaxNorm.apply(spec, params, (float) config.maxNorm());
    }

    /** Runs from {@code state} (fresh or resumed) to the last epoch or early stop. */
    public TrainingResult run(TrainingState state, TrainingListener listener) {
        return run(state, listener, config.epochs());
    }

    /**
     * Runs from {@code state} until {@code untilEpoch} epochs are done (at most the configured
     * number), or early stop; stopping before the end leaves a state that {@link #run} continues.
     */
    public TrainingResult run(TrainingState state, TrainingListener listener, int untilEpoch) {
        Optimizer optimizer = newOptimizer(state.params.length);
        List<float[]> target = optimizer.state();
        for (int i = 0; i < target.size(); i++) System.arraycopy(state.optimizerState.get(i), 0, target.get(i), 0, target.get(i).length);
        LearningRateSchedule schedule = config.learningRateSchedule(stepsPerEpoch);
        float[] params = state.params;
        // --ema starts its average from the parameters a fresh run begins with (a resumed one has it).
        if (config.ema() > 0 && state.average == null) state.average = params.clone();
        float[] gradient = new float[params.length];
        long start = System.nanoTime();
        boolean stoppedEarly = false;
        for (int epoch = state.epochsDone; epoch < Math.min(untilEpoch, config.epochs()); epoch++) {
            long epochStart = System.nanoTime();
            double lossSum = 0;
            long seen = 0;
            float rate = 0;
            for (int step = 0; step < stepsPerEpoch; step++) {
                StepPlan plan = new StepPlan(config.seed(), config.validation(), epoch, step, config.batchSize(), layout);
                GradientSum.Totals sum = stepGradient(params, plan, gradient);
                if (sum.diverged() || !Double.isFinite(sum.lossSum())) {
                    throw new TrainingDivergedException("training diverged at epoch " + (epoch + 1) + ", step " + (step + 1)
                            + ": the loss became NaN or infinite; try a lower --learning-rate (now " + config.learningRate() + ")");
                }
                long globalStep = (long) epoch * stepsPerEpoch + step;
                rate = schedule.rate(globalStep);
                update(config, spec, optimizer, params, gradient, rate);
                if (state.average != null) ParameterAverage.update(state.average, params, ParameterAverage.decayAt(config.ema(), globalStep));
                lossSum += sum.lossSum();
                seen += sum.examples();
                listener.stepFinished(epoch, step, stepsPerEpoch, lossSum / seen, seen, (System.nanoTime() - epochStart) / 1e9);
            }
            double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
            // With --ema the average is the model: it is what is scored, selected and saved.
            float[] model = state.average != null ? state.average : params;
            ShardWork.Score validation = config.validation() > 0 ? score(model, train, true) : ShardWork.Score.EMPTY;
            ShardWork.Score testScore = score(model, test, false);
            EpochMetrics metrics = new EpochMetrics(epoch + 1, lossSum / seen, validation.meanLoss(), validation.accuracy(),
                    testScore.meanLoss(), testScore.accuracy(), epochSeconds, seen / epochSeconds, rate, stepsPerEpoch);
            state.history.add(metrics);
            state.epochsDone = epoch + 1;
            // Model selection: lowest validation loss when data is held out; otherwise the last epoch.
            double selectBy = config.validation() > 0 ? validation.meanLoss() : -epoch;
            if (selectBy < state.bestScore) {
                state.bestScore = selectBy;
                state.bestEpoch = epoch + 1;
                state.bestParams = model.clone();
                state.epochsWithoutImprovement = 0;
            } else {
                state.epochsWithoutImprovement++;
            }
            for (int i = 0; i < target.size(); i++) state.optimizerState.set(i, target.get(i).clone());
            listener.epochFinished(metrics, state);
            if (config.patience() > 0 && state.epochsWithoutImprovement >= config.patience()) {
                stoppedEarly = true;
                break;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new TrainingResult(new Model(spec, state.bestParams.clone()), state.bestEpoch, List.copyOf(state.history), seconds, stoppedEarly);
    }

    /**
     * One step over all shards, the whole distributed part of the loop: writes the mean gradient
     * into {@code gradient} and returns the loss and example count. Exact, so the same bits on any
     * partitioning (see {@link GradientSum}).
     */
    GradientSum.Totals stepGradient(float[] params, StepPlan plan, float[] gradient) {
        Broadcast<float[]> shared = sc.broadcast(params);
        NetworkSpec network = spec;
        Dropout dropout = config.dropoutRates();
        try {
            JavaRDD<byte[]> sums = train.mapPartitions(blocks -> List.of(ShardWork.encodedStepGradient(network, shared.value(), blocks, plan, dropout)).iterator());
            // With few partitions the tree has no intermediate level: the driver adds each result once.
            List<byte[]> parts = layout.partitions() > TREE_THRESHOLD ? List.of(sums.treeReduce(GradientSum::merge)) : sums.collect();
            return GradientSum.meanOf(parts, gradient, plan.batch());
        } finally {
            shared.destroy();
        }
    }

    /** Loss and accuracy of {@code params} on the held-out examples of {@code blocks}, or on all of them. */
    ShardWork.Score score(float[] params, JavaRDD<ShardBlock> blocks, boolean heldOutOnly) {
        Broadcast<float[]> shared = sc.broadcast(params);
        NetworkSpec network = spec;
        long seed = config.seed();
        int holdout = config.validation();
        ShardLayout trainLayout = layout;
        try {
            List<ShardWork.Score> parts = blocks.map(block -> {
                int n = block.examples().count();
                int[] indices;
                if (heldOutOnly) {
                    indices = ShardSampler.validation(seed, block.shard(), n, trainLayout.share(holdout, block.shard()));
                } else {
                    indices = ShardWork.all(n);
                }
                return ShardWork.score(network, shared.value(), block.examples(), indices);
            }).collect();
            ShardWork.Score total = ShardWork.Score.EMPTY;
            for (ShardWork.Score s : new ArrayList<>(parts)) total = total.plus(s);
            return total;
        } finally {
            shared.destroy();
        }
    }
}
