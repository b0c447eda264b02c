package sparkprop.train;

import sparkprop.collective.Topology;
import sparkprop.core.InputScaling;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import sparkprop.core.Augment;
import sparkprop.core.BadInputException;
import sparkprop.core.Dropout;
import sparkprop.core.Model;
import sparkprop.core.NetworkSpec;
import sparkprop.data.Dataset;
import sparkprop.shards.Forward;
import sparkprop.shards.HadoopConf;
import sparkprop.shards.KryoRecords;
import sparkprop.shards.NativeBlasPlugin;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardLayout;
import sparkprop.shards.ShardSampler;
import sparkprop.shards.ShardedData;
import sparkprop.shards.SparkJobs;
import sparkprop.shards.TaskSlots;

/**
 * Synchronous data-parallel SGD on Spark: the data read and cached in partitions, and the
 * {@link TrainingLoop} fed by them. Each step the parameters go out to every partition, each sums
 * the exact gradients of its shards' part of the global batch, the sums come back and the driver
 * updates. The vehicle is one gang-scheduled stage per epoch ({@link StageGradients}) where it can
 * run, else a Spark job per step ({@link #stepGradient}). Same seed and shard count give the same
 * bits on any number of executors and in either mode (see {@link GradientSum}).
 */
public final class Trainer {
    /**
     * Above this many partitions the step's sums are tree-reduced so the driver does not receive
     * them all. The tree's extra shuffle stage cost more than collecting at every count measured
     * (scripts/bench, 2c: up to 2x at 16 and 32 partitions, on local[2] and on the loopback
     * cluster), so only beyond what was measured.
     */
    static final int TREE_THRESHOLD = 32;

    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final NetworkSpec spec;
    private final JavaRDD<ShardBlock> train;
    private final JavaRDD<ShardBlock> test;
    private final ShardLayout layout;
    private final int stepsPerEpoch;
    /** How the cached values become inputs, recorded in the models this trainer returns (pixels/255 for files). */
    /** A separate validation set, or null (then --validation holds examples out of train). */
    private final JavaRDD<ShardBlock> validation;
    private final InputScaling input;

    /**
     * Spark settings the loop runs better with, set unless the user set them: call on the
     * SparkConf before starting a context ({@code train} and {@code submit} do).
     * <ul>
     * <li>Every step each task returns its gradient sum, about 4 bytes a parameter. Above
     *     {@code spark.task.maxDirectResultSize} (1 MB by default) Spark parks a result in the block
     *     manager and the driver fetches it in a second round trip: measured here on 784-1024-1024-10,
     *     145 ms a step instead of 116. Spark caps the setting at {@code spark.rpc.message.maxSize}.</li>
     * <li>Each executor sets up the bundled native BLAS as it starts ({@link NativeBlasPlugin}),
     *     before anything else in it can ask netlib first.</li>
     * <li>The driver reports training progress as Spark metrics ({@link sparkprop.shards.TrainingMetricsPlugin}).</li>
     * <li>Kryo, when chosen as Spark's serializer, is given {@link KryoRecords} to carry our records.</li>
     * <li>A training stage ({@link Sync#STAGE}) relaunched after an executor loss needs every slot
     *     again; Spark checks for them every 15 s, 40 times, unless told otherwise; and it would hold a task
     *     for a busy executor holding its block for 3 s (the locality wait) at every launch.</li>
     * </ul>
     */
    public static void tune(org.apache.spark.SparkConf conf) {
        conf.setIfMissing("spark.task.maxDirectResultSize", "128m");
        // A training stage launched again after an executor loss waits for free slots: check every second, not every 15.
        conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        // ...and not 40 times: the stage chooses its members from the slots it sees, so Spark refuses it only when an executor
        // was lost between that count and the job's submission; the stage then fails at once and is launched again with the
        // slots left (ElasticIT: 40 s of retries after a worker was killed at an epoch's end).
        conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "3");
        // A barrier stage starts its tasks only when every one has a slot, and Spark holds a task for its cached partition's
        // executor up to the locality wait (3 s) before running it elsewhere. After a run lost an executor and went on with
        // fewer partitions, the coalesced partitions cached the lost blocks on the survivors; when slots come back, a task
        // whose block sits on a busy executor waited 3 s at every epoch's launch (ElasticIT: 3.9 s epochs instead of 0.2 s).
        // With no wait Spark still places each task where its block is when that slot is free, as at every normal launch.
        conf.setIfMissing("spark.locality.wait", "0s");
        // The model each scoring job broadcasts (0.8 MB for 784-256-10) is one 4 MB piece by default, which every
        // executor then fetches from the driver: in pieces of 256 KB the executors pass them among themselves, and the
        // driver's link carries about one copy, not one per executor (the lab measured the one-piece broadcasts
        // growing the driver's bytes per step with the executors).
        conf.setIfMissing("spark.broadcast.blockSize", "256k");
        KryoRecords.register(conf);
        NativeBlasPlugin.register(conf);
        sparkprop.shards.TrainingMetricsPlugin.register(conf);
    }

    /** Reads and caches the data in one partition per core; see {@link #Trainer(JavaSparkContext, Dataset, TrainConfig, int)}. */
    public Trainer(JavaSparkContext sc, Dataset data, TrainConfig config) {
        this(sc, data, config, 0);
    }

    /**
     * Reads and caches the data; fails here (before any step) on bad data or a config that does
     * not fit it.
     *
     * @param partitions Spark partitions holding the shards (0: one per task slot, {@link TaskSlots}); never changes the result
     */
    public Trainer(JavaSparkContext sc, Dataset data, TrainConfig config, int partitions) {
        KryoRecords.check(sc.getConf());
        this.sc = sc;
        int parts = TaskSlots.partitionsFor(sc.sc(), partitions);
        this.config = config.withShardsFor(parts);
        config = this.config;
        this.spec = check(data, config);
        checkMemory(sc, spec, config);
        this.layout = new ShardLayout(data.train().count(), config.shards(), parts);
        this.stepsPerEpoch = ShardSampler.stepsPerEpoch(layout, config.batchSize(), config.validation());
        HadoopConf hadoop = HadoopConf.of(sc.hadoopConfiguration());
        this.train = SparkJobs.described(sc.sc(), String.format("sparkprop train: reading and caching %,d training examples of %s",
                data.train().count(), data.train().name()), () -> ShardedData.load(sc, data.train(), layout, spec.outputSize(), hadoop));
        int testParts = Math.min(parts, data.test().count());
        this.test = SparkJobs.described(sc.sc(), String.format("sparkprop train: reading and caching %,d test examples of %s",
                data.test().count(), data.test().name()),
                () -> ShardedData.load(sc, data.test(), new ShardLayout(data.test().count(), testParts, testParts), spec.outputSize(), hadoop));
        this.input = InputScaling.UINT8;
        this.validation = null;
    }

    /**
     * Trains on shards already read and cached, e.g. from a table ({@code sparkprop.ml} builds them
     * with the same shard layout and order as files get): same loop, same bits for the same examples.
     *
     * @param test  the test set to score each epoch, or null for none
     * @param input how the cached values become inputs
     */
    public Trainer(JavaSparkContext sc, JavaRDD<ShardBlock> train, ShardLayout layout, int width, JavaRDD<ShardBlock> test, InputScaling input,
                   TrainConfig config) {
        this(sc, train, layout, width, test, null, input, config);
    }

    /**
     * The same with a separate validation set (e.g. the rows a {@code validationIndicatorCol} marks),
     * scored each epoch to keep the best model and stop early, instead of examples held out of {@code train}.
     *
     * @param validation the validation set's shards, or null for none
     */
    public Trainer(JavaSparkContext sc, JavaRDD<ShardBlock> train, ShardLayout layout, int width, JavaRDD<ShardBlock> test,
                   JavaRDD<ShardBlock> validation, InputScaling input, TrainConfig config) {
        if (validation != null && config.validation() > 0) {
            throw new BadInputException("validation " + config.validation() + ": give either a number of held-out examples or a separate "
                    + "validation set (validationIndicatorCol), not both");
        }
        this.validation = validation;
        KryoRecords.check(sc.getConf());
        this.sc = sc;
        if (config.shardsFollowPartitions()) config = config.with("shards", String.valueOf(layout.shards()));
        this.config = config;
        this.spec = check(layout.examples(), width, config);
        checkMemory(sc, spec, config);
        if (config.augment().active() && input != InputScaling.UINT8) {
            throw new BadInputException("--augment " + config.augment().spec() + ": the table's features are not 0-255 pixels, so not an image to distort");
        }
        this.layout = layout;
        this.stepsPerEpoch = ShardSampler.stepsPerEpoch(layout, config.batchSize(), config.validation());
        this.train = train;
        this.test = test;
        this.input = input;
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
        return check(data.train().count(), data.width(), config);
    }

    /** The same check from the training examples' count and width. */
    public static NetworkSpec check(int examples, int width, TrainConfig config) {
        NetworkSpec spec = config.network(width);
        // --shards auto is resolved once the partitions are known; until then check what one shard allows.
        if (config.shardsFollowPartitions()) config = config.with("shards", "1");
        String distortion = config.augment().problemFor(width);
        if (distortion != null) throw new BadInputException("--augment " + config.augment().spec() + ": " + distortion);
        if (config.shards() > examples) {
            throw new BadInputException("--shards " + config.shards() + ": more than the " + examples + " training examples");
        }
        if (config.validation() >= examples) {
            throw new BadInputException("--validation " + config.validation() + ": must be less than the " + examples + " training examples");
        }
        if (ShardSampler.stepsPerEpoch(new ShardLayout(examples, config.shards(), 1), config.batchSize(), config.validation()) < 1) {
            throw new BadInputException("--batch-size " + config.batchSize() + ": larger than the " + (examples - config.validation())
                    + " training examples (after --validation) spread over " + config.shards() + " shards");
        }
        return spec;
    }

    /**
     * Refuses a network the driver's or an executor's heap cannot hold ({@link MemoryNeed}), before the data is read. In
     * local mode the tasks share the driver's heap; elsewhere each executor runs spark.executor.cores tasks (1 if unset).
     */
    private static void checkMemory(JavaSparkContext sc, NetworkSpec spec, TrainConfig config) {
        org.apache.spark.SparkConf conf = sc.getConf();
        boolean local = sc.isLocal();
        long executorHeap = local ? 0 : conf.getSizeAsBytes("spark.executor.memory", "1g");
        MemoryNeed.check(spec, config, Runtime.getRuntime().maxMemory(), local ? 1 : 0, executorHeap, TaskSlots.perExecutor(conf));
    }

    public NetworkSpec spec() {
        return spec;
    }

    /** The config this trainer trains with: the one given, with {@code --shards auto} resolved for its partitions. */
    public TrainConfig config() {
        return config;
    }

    /** The task slots the application had when the data was laid out (what {@code partitions 0} followed). */
    public TaskSlots.Count slots() {
        return TaskSlots.count(sc.sc());
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** The cached training shards (for benchmarks and tests). */
    JavaRDD<ShardBlock> train() {
        return train;
    }

    /** How much of the training shards the executors hold in memory and how much they spilled to local disk. */
    public sparkprop.shards.ShardCache.Placement trainCache() {
        return sparkprop.shards.ShardCache.placement(train);
    }

    /** The cached test set, for judging the kept model without reading it again. */
    public JavaRDD<ShardBlock> test() {
        return test;
    }

    public ShardLayout layout() {
        return layout;
    }

    /** How raw values become inputs for the models this trainer returns. */
    public InputScaling input() {
        return input;
    }

    /** A model of {@code params} with this trainer's network and input scaling. */
    public Model model(float[] params) {
        return new Model(spec, params, input);
    }

    /** Drops the cached training and test data from the executors' memory; the trainer is unusable after. */
    public void release() {
        train.unpersist(false);
        if (test != null) test.unpersist(false);
        if (validation != null) validation.unpersist(false);
    }

    /**
     * How the executors holding the training data run sgemm, one line per distinct answer, e.g.
     * "executor 0 on host-a: native (bundled OpenBLAS 0.3.28, kernel Haswell)".
     */
    public List<String> executorBlas() {
        List<String> seen = new ArrayList<>(SparkJobs.described(sc.sc(), "sparkprop train: asking each executor which BLAS it runs",
                () -> train.mapPartitions(blocks -> List.of("executor " + org.apache.spark.SparkEnv.get().executorId() + " on "
                        + java.net.InetAddress.getLocalHost().getHostName() + ": " + sparkprop.core.Blas.describe()).iterator()).distinct().collect()));
        java.util.Collections.sort(seen);
        return seen;
    }

    /**
     * What identifies this trainer's data ({@link DataIdentity}): the example counts and a fingerprint of the cached
     * training, validation and test shards, in one pass over them.
     */
    public DataIdentity dataIdentity() {
        return SparkJobs.described(sc.sc(), "sparkprop train: fingerprinting the cached data", () -> {
            ShardedData.Digest trainDigest = ShardedData.digest(train);
            ShardedData.Digest testDigest = test == null ? new ShardedData.Digest(0, new byte[0]) : ShardedData.digest(test);
            ShardedData.Digest validationDigest = validation == null ? new ShardedData.Digest(0, new byte[0]) : ShardedData.digest(validation);
            java.security.MessageDigest sha;
            try {
                sha = java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            sha.update(trainDigest.sha256());
            sha.update(testDigest.sha256());
            sha.update(validationDigest.sha256());
            return new DataIdentity(trainDigest.examples(), testDigest.examples(), java.util.HexFormat.of().formatHex(sha.digest(), 0, 8));
        });
    }

    /** A fresh state: initialised parameters and zeroed optimizer state. */
    public TrainingState initialState() {
        return TrainingState.fresh(config, spec, validation != null || config.validation() > 0);
    }

    /** Runs from {@code state} (fresh or resumed) to the last epoch or early stop. */
    public TrainingResult run(TrainingState state, TrainingListener listener) {
        return run(state, listener, config.epochs());
    }

    /**
     * Runs from {@code state} until {@code untilEpoch} epochs are done (at most the configured
     * number), or early stop; stopping before the end leaves a state that {@link #run} continues.
     * Steps run in one stage per epoch where that can run here, else as a job each ({@link #chooseSync}).
     */
    public TrainingResult run(TrainingState state, TrainingListener listener, int untilEpoch) {
        return run(state, listener, untilEpoch, chooseSync(Sync.AUTO).mode());
    }

    /** The same with the way steps reach the executors chosen: {@link Sync#STAGE} or {@link Sync#JOBS}; the bits are the same. */
    public TrainingResult run(TrainingState state, TrainingListener listener, int untilEpoch, Sync mode) {
        TrainingLoop loop = new TrainingLoop(config, spec, layout, stepsPerEpoch, input);
        int[] epoch = {state.epochsDone()}; // the epoch whose steps ran last, for the scoring jobs' descriptions
        try (TrainingLoop.StepGradients steps = stepGradients(mode, listener)) {
            TrainingLoop.StepGradients described = new TrainingLoop.StepGradients() {
                @Override
                public GradientSum.Totals compute(float[] params, StepPlan plan, float[] gradient) {
                    epoch[0] = plan.epoch();
                    return SparkJobs.described(sc.sc(), "sparkprop train: epoch " + (plan.epoch() + 1) + "/" + config.epochs() + ", step "
                            + (plan.step() + 1) + "/" + stepsPerEpoch, () -> steps.compute(params, plan, gradient));
                }

                @Override
                public boolean replicated() {
                    return steps.replicated();
                }

                @Override
                public GradientSum.Totals step(TrainingState s, StepPlan plan, long globalStep) {
                    epoch[0] = plan.epoch();
                    return steps.step(s, plan, globalStep);
                }

                @Override
                public boolean stateCurrent() {
                    return steps.stateCurrent();
                }

                @Override
                public void epochDone() {
                    steps.epochDone();
                }

                @Override
                public double epochComputeSeconds() {
                    return steps.epochComputeSeconds();
                }
            };
            TrainingListener reporting = new TrainingListener() {
                @Override
                public void stepFinished(int e, int step, int steps, double meanLoss, long examplesSoFar, double secondsSoFar) {
                    sparkprop.shards.TrainingMetricsPlugin.progress.step(e + 1, step + 1, meanLoss, examplesSoFar / Math.max(secondsSoFar, 1e-9));
                    listener.stepFinished(e, step, steps, meanLoss, examplesSoFar, secondsSoFar);
                }

                @Override
                public void midEpoch(TrainingState s) {
                    listener.midEpoch(s);
                }

                @Override
                public int stateWantedEvery() {
                    return listener.stateWantedEvery();
                }

                @Override
                public void note(String line) {
                    listener.note(line);
                }

                @Override
                public void epochFinished(EpochMetrics metrics, TrainingState s) {
                    sparkprop.shards.TrainingMetricsPlugin.progress.scores(metrics.valAccuracy(), metrics.testAccuracy());
                    listener.epochFinished(metrics, s);
                }
            };
            try {
                return runLoop(loop, state, described, epoch, reporting, untilEpoch);
            } catch (TrainingCancelledException e) {
                throw e;
            } catch (Exception e) { // Spark's SparkException arrives unchecked from Scala
                if (TrainingCancelledException.isCancellation(e)) {
                    throw new TrainingCancelledException("training was cancelled in epoch " + (epoch[0] + 1) + ": its Spark jobs were cancelled ("
                            + e.getMessage() + ")", e);
                }
                throw Trainer.<RuntimeException>unchanged(e);
            }
        }
    }

    /** Rethrows {@code e} as it is, checked or not, as Scala code does. */
    @SuppressWarnings("unchecked")
    private static <E extends Exception> E unchanged(Exception e) throws E {
        throw (E) e;
    }

    private TrainingResult runLoop(TrainingLoop loop, TrainingState state, TrainingLoop.StepGradients described, int[] epoch,
                                   TrainingListener listener, int untilEpoch) {
        return loop.run(state, described, new TrainingLoop.EpochScores() {
            @Override
            public Forward.Score validation(float[] model) {
                return SparkJobs.described(sc.sc(), "sparkprop train: epoch " + (epoch[0] + 1) + "/" + config.epochs()
                        + ", scoring the validation examples", () -> validation != null ? score(model, validation, false) : score(model, train, true));
            }

            @Override
            public Forward.Score test(float[] model) {
                return test == null ? Forward.Score.EMPTY : SparkJobs.described(sc.sc(), "sparkprop train: epoch " + (epoch[0] + 1) + "/"
                        + config.epochs() + ", scoring the test set", () -> score(model, test, false));
            }
        }, listener, untilEpoch);
    }

    /**
     * How the stage's tasks combine their sums ({@link StageGradients}, {@link sparkprop.collective.Topology}):
     * {@code ring} (an all-reduce among the tasks, each updating its replica of the state), {@code star} (each task's
     * whole sums to the driver, which updates), {@code shared} (local mode only: the tasks share the JVM, add their sums
     * in shared memory and each updates its chunk of the one state) or {@code auto} (the default: the ring on a cluster, where it keeps
     * the driver's link from growing with the executors; shared memory in local mode: time to 98% of the default run on
     * local[*], median of 3, 3.77 s against the star's 5.49 s and the ring's 4.84 s). The same bits every way.
     */
    public static final String EXCHANGE = "spark.sparkprop.exchange";

    /**
     * The warning a run on a cluster without {@code spark.authenticate} prints, else null. Without Spark's
     * authentication the exchange cannot tell the run's tasks from anyone who can reach the driver and executors: the
     * per-run token it checks travels in the task closure, which Spark serves to anyone who asks (as it serves
     * everything else of the application then). No secret Spark ships to executors can be kept from an outsider without
     * it, so the token only keeps runs apart; this says so.
     */
    public static String openExchangeWarning(org.apache.spark.SparkConf conf, boolean local) {
        if (local || conf.getBoolean("spark.authenticate", false)) return null;
        return "warning: spark.authenticate is off: like Spark itself, the training stage's exchange then accepts messages from anyone "
                + "who can reach the driver and executors, and they can change the model; set spark.authenticate=true on a shared "
                + "network (docs/cluster.md, Security)";
    }

    /** {@link #openExchangeWarning} for this trainer's context, for a run in {@code mode}. */
    public String openExchangeWarning(Sync mode) {
        return mode == Sync.STAGE ? openExchangeWarning(sc.getConf(), sc.isLocal()) : null;
    }

    /** How this run's stage combines its sums: "ring" or "star" ({@link #EXCHANGE}). */
    public String exchange() {
        return topology().name().toLowerCase(java.util.Locale.ROOT);
    }

    Topology topology() {
        String allReduce = sc.getConf().get(StageGradients.ALL_REDUCE, "auto");
        try {
            sparkprop.collective.AllReduce.of(allReduce, 4);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(StageGradients.ALL_REDUCE + "=" + e.getMessage());
        }
        String chosen = sc.getConf().get(EXCHANGE, "auto");
        return switch (chosen) {
            case "ring" -> Topology.RING;
            case "star" -> Topology.STAR;
            case "shared" -> {
                if (!sc.isLocal()) throw new BadInputException(EXCHANGE + "=shared: only in local mode, where the tasks share the driver's JVM");
                yield Topology.SHARED;
            }
            case "auto" -> sc.isLocal() ? Topology.SHARED : Topology.RING;
            default -> throw new BadInputException(EXCHANGE + "=" + chosen + ": expected auto, ring, star or shared");
        };
    }

    /**
     * How steps get their gradients in {@code mode}; a ring brings the driver's state up to date every {@link
     * TrainingListener#stateWantedEvery} steps, and a stage that goes on with fewer task slots says so to the listener.
     */
    TrainingLoop.StepGradients stepGradients(Sync mode, TrainingListener listener) {
        return stepGradients(mode, listener, topology());
    }

    /** The same with the stage's exchange chosen (the benchmark times the star, whose steps the driver takes one by one). */
    TrainingLoop.StepGradients stepGradients(Sync mode, TrainingListener listener, Topology topology) {
        return switch (mode) {
            case STAGE -> new StageGradients(sc, train, spec, config, layout, stepsPerEpoch, topology, listener.stateWantedEvery(), listener::note);
            case JOBS -> this::stepGradient;
            case AUTO -> throw new IllegalArgumentException("choose the mode first (chooseSync)");
        };
    }

    /**
     * The way this run's steps reach the executors, given what was asked. The stage needs every
     * partition's task running at once: Spark refuses such a (barrier) stage under dynamic allocation,
     * and cannot run it with fewer task slots than partitions. {@link Sync#AUTO} then falls back to
     * a job per step and says why; {@link Sync#STAGE} is refused naming the reason.
     */
    public Sync.Choice chooseSync(Sync requested) {
        if (requested == Sync.JOBS) return new Sync.Choice(Sync.JOBS, null);
        String reason = stageUnavailable();
        if (reason == null) return new Sync.Choice(Sync.STAGE, null);
        if (requested == Sync.STAGE) throw new BadInputException("--sync stage: " + reason + " (--sync auto runs a job per step instead)");
        return new Sync.Choice(Sync.JOBS, "sync: a Spark job per step, since " + reason);
    }

    /** Why one stage cannot hold every partition's task here, or null when it can. */
    private String stageUnavailable() {
        if (!sc.isLocal() && sc.getConf().getBoolean("spark.dynamicAllocation.enabled", false)) {
            return "dynamic allocation is on (spark.dynamicAllocation.enabled) and Spark refuses gang-scheduled stages with it";
        }
        int slots = TaskSlots.atLeast(sc.sc(), layout.partitions());
        if (slots < layout.partitions()) {
            return "the data is in " + layout.partitions() + " partitions and Spark has " + slots + " task slots, and the stage needs a slot "
                    + "for each at once (--partitions " + Math.max(1, slots) + " would fit)";
        }
        return null;
    }


    /**
     * One step over all shards, the whole distributed part of the loop: writes the mean gradient
     * into {@code gradient} and returns the loss and example count. Exact, so the same bits on any
     * partitioning (see {@link GradientSum}).
     */
    GradientSum.Totals stepGradient(float[] params, StepPlan plan, float[] gradient) {
        return stepGradient(params, plan, gradient, layout.partitions() > TREE_THRESHOLD);
    }

    /** {@link #stepGradient(float[], StepPlan, float[])} with the aggregation path chosen by the caller (the benchmark measures both). */
    GradientSum.Totals stepGradient(float[] params, StepPlan plan, float[] gradient, boolean tree) {
        Broadcast<float[]> shared = sc.broadcast(params);
        NetworkSpec network = spec;
        Dropout dropout = config.dropoutRates();
        Augment augment = config.augment();
        try {
            JavaRDD<byte[]> sums = train.mapPartitions(blocks -> List.of(ShardWork.encodedStepGradient(network, shared.value(), blocks, plan, dropout,
                    augment)).iterator());
            // With few partitions the tree has no intermediate level: the driver adds each result once.
            List<byte[]> parts = tree ? List.of(sums.treeReduce(PackedSum::merge)) : sums.collect();
            return PackedSum.meanOf(parts, gradient, plan.batch());
        } finally {
            shared.destroy();
        }
    }

    /** Loss and accuracy of {@code params} on the held-out examples of {@code blocks}, or on all of them. */
    Forward.Score score(float[] params, JavaRDD<ShardBlock> blocks, boolean heldOutOnly) {
        Broadcast<float[]> shared = sc.broadcast(params);
        // An executor whose stage members kept this very model scores with it and never fetches the broadcast (in local
        // mode the broadcast is the driver's own array: nothing to spare).
        byte[] digest = sc.isLocal() ? null : KeptStates.digest(params);
        NetworkSpec network = spec;
        StepPlan.Run run = StepPlan.Run.of(config, layout);
        try {
            List<Forward.Score> parts = blocks.map(block -> {
                float[] kept = digest == null ? null : KeptStates.model(digest);
                return ShardWork.score(network, kept != null ? kept : shared.value(), block, run, heldOutOnly);
            }).collect();
            Forward.Score total = Forward.Score.EMPTY;
            for (Forward.Score s : new ArrayList<>(parts)) total = total.plus(s);
            return total;
        } finally {
            shared.destroy();
        }
    }
}
