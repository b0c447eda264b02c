package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Dataset;
import sparkprop.data.Fixtures;

/** The reproducibility guarantee across real contexts: local[1] and local[2] train the same bits. */
class LocalModesTest {
    private static final String KRYO = "org.apache.spark.serializer.KryoSerializer";

    @TempDir
    Path dir;

    private float[] trainOn(String master, Dataset data) {
        return trainOn(master, data, conf -> { });
    }

    private float[] trainOn(String master, Dataset data, Consumer<SparkConf> settings) {
        return trainOn(master, data, settings, "none");
    }

    private float[] trainOn(String master, Dataset data, Consumer<SparkConf> settings, String augment) {
        return trainOn(master, data, settings, augment, Sync.AUTO);
    }

    private float[] trainOn(String master, Dataset data, Consumer<SparkConf> settings, String augment, Sync sync) {
        JavaSparkContext sc = SparkTestContext.start(master, settings);
        try {
            Trainer trainer = TestConfigs.trainer(sc, data, "layers", "64,20,10", "shards", "4", "batch-size", "32",
                    "epochs", "2", "seed", "3", "validation", "40", "augment", augment);
            Sync mode = trainer.chooseSync(sync).mode();
            assertEquals(sync == Sync.JOBS ? Sync.JOBS : Sync.STAGE, mode, "a partition per core: the stage runs");
            return trainer.run(trainer.initialState(), new TrainingListener() { }, Integer.MAX_VALUE, mode).model().params();
        } finally {
            sc.stop();
        }
    }

    @Test
    void localOneAndLocalTwoGiveBitIdenticalModels() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, false, 6).toString(), new Configuration());
        assertArrayEquals(trainOn("local[1]", data), trainOn("local[2]", data));
    }

    /** Every step of an epoch in one stage on one core, a job per step on two: the same bits. */
    @Test
    void theStageOnLocalOneEqualsAJobPerStepOnLocalTwo() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, false, 6).toString(), new Configuration());
        String spec = "shift=1,rotate=10";
        assertArrayEquals(trainOn("local[2]", data, conf -> { }, spec, Sync.JOBS), trainOn("local[1]", data, conf -> { }, spec, Sync.STAGE));
    }

    /** The stage's tasks on the network path, as executors in other JVMs use it, instead of the in-process one local mode takes. */
    @Test
    void theStageOverTheNetworkEqualsAJobPerStep() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, false, 6).toString(), new Configuration());
        assertArrayEquals(trainOn("local[2]", data, conf -> { }, "none", Sync.JOBS),
                trainOn("local[2]", data, conf -> conf.set("spark.sparkprop.exchange.inProcess", "false"), "none", Sync.STAGE));
    }

    /**
     * Each of five tasks sends its whole sums to the driver (spark.sparkprop.exchange=star), over
     * sockets and in process, and one is killed mid-epoch: the same bits as a job per step.
     */
    @Test
    void sumsOfAStarOfTasksGiveTheSameBits() throws Exception {
        sumsOverTasksGiveTheSameBits(conf -> conf.set("spark.sparkprop.exchange", "star"));
    }

    /**
     * The same with the ring (the default exchange on a cluster), whose members update replicas of the state: five
     * members, over sockets and in process, and a member killed mid-epoch.
     */
    @Test
    void sumsAroundARingOfTasksGiveTheSameBits() throws Exception {
        sumsOverTasksGiveTheSameBits(conf -> conf.set("spark.sparkprop.exchange", "ring"));
    }

    /**
     * Four members, a power of two, add their sums by halving and doubling (the default for a ring of 4) over sockets:
     * the bits of a job per step and of the ring's rounds.
     */
    @Test
    void halvingAndDoublingAmongFourTasksGivesTheSameBits() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 400, 100, 8, false, 8).toString(), new Configuration());
        String[] settings = {"layers", "64,20,10", "shards", "8", "batch-size", "40", "epochs", "2", "seed", "9", "dropout", "0.2",
                "partitions", "4"};
        float[] jobs = trainWith("local[4]", data, conf -> { }, Sync.JOBS, settings);
        for (String allReduce : new String[]{"auto", "ring", "direct"}) {
            float[] ring = trainWith("local[4]", data, conf -> conf.set("spark.sparkprop.exchange", "ring").set("spark.sparkprop.exchange.inProcess", "false")
                    .set("spark.sparkprop.exchange.allReduce", allReduce), Sync.STAGE, settings);
            assertArrayEquals(jobs, ring, allReduce);
        }
        sparkprop.core.BadInputException bad = org.junit.jupiter.api.Assertions.assertThrows(sparkprop.core.BadInputException.class,
                () -> trainWith("local[4]", data, conf -> conf.set("spark.sparkprop.exchange.allReduce", "tree"), Sync.STAGE, settings));
        assertEquals("spark.sparkprop.exchange.allReduce=tree: expected auto, ring, halving-doubling or direct", bad.getMessage());
    }

    /** The same where the members share the JVM and add their sums in shared memory, one of them updating the one state. */
    @Test
    void sumsInSharedMemoryGiveTheSameBits() throws Exception {
        sumsOverTasksGiveTheSameBits(conf -> conf.set("spark.sparkprop.exchange", "shared"));
    }

    /**
     * Without max-norm each of five members sharing the JVM updates its own chunk of the state (the optimizer and the
     * moving average, value by value) and Adam's step count is taken once per step: the bits of a job per step.
     */
    @Test
    void membersUpdatingTheirChunksOfTheSharedStateGiveTheSameBits() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 400, 100, 8, false, 6).toString(), new Configuration());
        for (String optimizer : new String[]{"momentum", "adam"}) {
            String[] settings = {"layers", "64,20,10", "shards", "7", "batch-size", "35", "epochs", "2", "seed", "4", "optimizer", optimizer,
                    "learning-rate", optimizer.equals("adam") ? "0.01" : "0.2", "ema", "0.9", "weight-decay", "0.001", "partitions", "5"};
            float[] jobs = trainWith("local[5]", data, conf -> { }, Sync.JOBS, settings);
            float[] shared = trainWith("local[5]", data, conf -> conf.set("spark.sparkprop.exchange", "shared"), Sync.STAGE, settings);
            assertArrayEquals(jobs, shared, optimizer);
        }
    }

    /**
     * A ring's members keep the state; the driver gets it every {@code stateWantedEvery} steps (a run's checkpoints
     * within an epoch), equal to a job per step's state after the same step, for every part of the state: the
     * parameters, Adam's arrays and step count, the average, under max-norm.
     */
    @Test
    void aRingBringsTheDriversStateUpToDateWhereAsked() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, false, 6).toString(), new Configuration());
        String[] settings = {"layers", "64,20,10", "shards", "6", "batch-size", "30", "epochs", "2", "seed", "5", "optimizer", "adam",
                "learning-rate", "0.01", "max-norm", "2.5", "ema", "0.9", "input-dropout", "0.1", "partitions", "3"};
        java.util.Map<Long, byte[]> jobs = new java.util.TreeMap<>(), ring = new java.util.TreeMap<>();
        float[] byJobs = trainWith("local[3]", data, conf -> { }, Sync.JOBS, sc -> statesEvery(4, jobs), settings);
        float[] byRing = trainWith("local[3]", data, conf -> conf.set("spark.sparkprop.exchange", "ring"), Sync.STAGE, sc -> statesEvery(4, ring),
                settings);
        assertArrayEquals(byJobs, byRing);
        java.util.Map<Long, byte[]> shared = new java.util.TreeMap<>();
        assertArrayEquals(byJobs, trainWith("local[3]", data, conf -> conf.set("spark.sparkprop.exchange", "shared"), Sync.STAGE,
                sc -> statesEvery(4, shared), settings));
        assertEquals(ring.keySet(), shared.keySet());
        for (Long at : shared.keySet()) assertArrayEquals(ring.get(at), shared.get(at), "the shared state after " + at);
        assertTrue(ring.size() >= 2 && ring.size() < jobs.size() / 3, "states within the epochs, only where asked: " + ring.keySet());
        for (java.util.Map.Entry<Long, byte[]> state : ring.entrySet()) {
            assertArrayEquals(jobs.get(state.getKey()), state.getValue(), "the state after epoch*1000+step " + state.getKey());
        }
    }

    /** A listener that asks for the state every {@code every} steps and keeps each it is offered, encoded, by epochs*1000 + steps done. */
    private static TrainingListener statesEvery(int every, java.util.Map<Long, byte[]> states) {
        return new TrainingListener() {
            @Override
            public int stateWantedEvery() {
                return every;
            }

            @Override
            public void midEpoch(TrainingState state) {
                states.put((long) state.epochsDone() * 1000 + state.epochProgress().stepsDone(), Replica.of(state).encode());
            }
        };
    }

    private void sumsOverTasksGiveTheSameBits(Consumer<SparkConf> exchange) throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, false, 6).toString(), new Configuration());
        String[] settings = {"layers", "64,20,10", "shards", "7", "batch-size", "35", "epochs", "2", "seed", "3", "validation", "40",
                "dropout", "0.2", "max-norm", "2.5", "ema", "0.9", "partitions", "5"};
        float[] jobs = trainWith("local[5]", data, conf -> { }, Sync.JOBS, settings);
        for (String inProcess : new String[]{"true", "false"}) {
            float[] tree = trainWith("local[5]", data, conf -> exchange.accept(conf.set("spark.sparkprop.exchange.inProcess", inProcess)),
                    Sync.STAGE, settings);
            assertArrayEquals(jobs, tree, "in process: " + inProcess);
        }
        // A task of the second epoch's stage killed as it starts (a ring or shared-memory epoch runs without waiting for the
        // driver, so a kill timed by the driver's progress could come after the epoch): the stage is launched again.
        java.util.concurrent.atomic.AtomicInteger stages = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        float[] killed = trainWith("local[5]", data, exchange, Sync.STAGE, sc -> {
            sc.sc().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
                @Override
                public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart job) {
                    if (job.properties().getProperty("spark.job.description", "").contains("in one stage")) stages.incrementAndGet();
                }

                @Override
                public void onTaskStart(org.apache.spark.scheduler.SparkListenerTaskStart start) {
                    if (stages.get() == 2 && done.compareAndSet(false, true)) sc.sc().killTaskAttempt(start.taskInfo().taskId(), true, "killed by the test");
                }
            });
            return new TrainingListener() { };
        }, settings);
        assertArrayEquals(jobs, killed, "a task killed");
        assertEquals(3, stages.get(), "two epochs and the second's stage launched again");
    }

    private float[] trainWith(String master, Dataset data, Consumer<SparkConf> conf, Sync mode, String... settings) {
        return trainWith(master, data, conf, mode, sc -> new TrainingListener() { }, settings);
    }

    private float[] trainWith(String master, Dataset data, Consumer<SparkConf> conf, Sync mode,
                              java.util.function.Function<JavaSparkContext, TrainingListener> listener, String... settings) {
        JavaSparkContext sc = SparkTestContext.start(master, conf);
        try {
            Trainer trainer = TestConfigs.trainer(sc, data, settings);
            if (mode == Sync.STAGE) {
                try (TrainingLoop.StepGradients steps = trainer.stepGradients(Sync.STAGE, new TrainingListener() { })) {
                    assertTrue(steps instanceof StageGradients, steps.getClass().getName());
                }
            }
            return trainer.run(trainer.initialState(), listener.apply(sc), Integer.MAX_VALUE, mode).model().params();
        } finally {
            sc.stop();
        }
    }

    /** Distortions drawn on the executors from (seed, epoch, step, shard, example): the same bits however shards meet partitions. */
    @Test
    void augmentedTrainingIsBitIdenticalOnLocalOneAndLocalTwo() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, false, 6).toString(), new Configuration());
        String spec = "shift=1,rotate=10,scale=0.1,elastic-alpha=6,elastic-sigma=1.5";
        float[] augmented = trainOn("local[1]", data, conf -> { }, spec);
        assertArrayEquals(augmented, trainOn("local[2]", data, conf -> { }, spec));
        assertTrue(!java.util.Arrays.equals(augmented, trainOn("local[2]", data)), "augmentation changes training");
    }

    /**
     * Deployments often make Kryo Spark's serializer. Gzipped files are read whole and their shards
     * shuffled to the partitions, so the records travel through Kryo; with the settings every
     * command applies ({@link Trainer#tune}) that gives the same bits as Java serialization.
     */
    @Test
    void kryoAsSparksSerializerTrainsTheSameBits() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, true, 6).toString(), new Configuration());
        float[] java = trainOn("local[2]", data);
        assertArrayEquals(java, trainOn("local[2]", data, conf -> {
            conf.set("spark.serializer", KRYO);
            Trainer.tune(conf);
        }));
    }

    @Test
    void kryoWithoutOurRegistratorIsRefusedNamingTheSetting() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, true, 6).toString(), new Configuration());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainOn("local[2]", data, conf -> conf.set("spark.serializer", KRYO)));
        assertTrue(e.getMessage().contains("spark.kryo.registrator=sparkprop.shards.KryoRecords"), e.getMessage());
    }

    /**
     * A checkpoint taken after step 5 of epoch 2 (of 9 steps), read back and continued, by the
     * stage and by a job per step, ends in the uninterrupted run's bits, and its epoch's loss too.
     */
    @Test
    void aRunResumedFromWithinAnEpochEndsInTheSameBits() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 320, 100, 8, false, 6).toString(), new Configuration());
        String[] settings = {"layers", "64,20,10", "shards", "4", "batch-size", "32", "epochs", "3", "seed", "3", "optimizer", "adam",
                "learning-rate", "0.01", "ema", "0.9", "augment", "shift=1"};
        JavaSparkContext sc = SparkTestContext.start("local[2]", conf -> { });
        try {
            TrainConfig config = TrainConfig.fromMap(Options.defaults()).with("layers", "64,20,10");
            for (int i = 0; i < settings.length; i += 2) config = config.with(settings[i], settings[i + 1]);
            TrainConfig used = config;
            Trainer trainer = TestConfigs.trainer(sc, data, settings);
            assertEquals(10, trainer.stepsPerEpoch());
            byte[][] taken = new byte[1][];
            TrainingResult whole = trainer.run(trainer.initialState(), new TrainingListener() {
                @Override
                public int stateWantedEvery() {
                    return 5; // where a stage's tasks keep the state, the driver has it every 5 steps
                }

                @Override
                public void midEpoch(TrainingState state) {
                    if (state.epochsDone() == 1 && state.epochProgress().stepsDone() == 5) {
                        try {
                            taken[0] = Checkpoint.encode(used, "data", state);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                }
            }, Integer.MAX_VALUE, Sync.STAGE);
            for (Sync mode : new Sync[]{Sync.STAGE, Sync.JOBS}) {
                Checkpoint.Loaded loaded = Checkpoint.decode(taken[0], "mid-epoch");
                assertEquals(5, loaded.state().epochProgress().stepsDone());
                TrainingResult resumed = trainer.run(loaded.state(), new TrainingListener() { }, Integer.MAX_VALUE, mode);
                assertArrayEquals(whole.model().params(), resumed.model().params(), mode.id());
                assertEquals(whole.history().get(1).trainLoss(), resumed.history().get(1).trainLoss(), 0.0, "epoch 2's loss, " + mode.id());
            }
        } finally {
            sc.stop();
        }
    }

    /**
     * A training set about twice the storage memory Spark has (spark.testing.memory, as Spark's own
     * tests shrink it): what does not fit is spilled to local disk, every partition stays cached so
     * no step reads the source again, and the model is the bits of a run with room to spare.
     */
    @Test
    void dataLargerThanMemorySpillsToDiskAndTrainsTheSameBits() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 16000, 100, 28, false, 6).toString(), new Configuration());
        String[] settings = {"layers", "784,16,10", "shards", "8", "batch-size", "400", "epochs", "1", "seed", "3"};
        Consumer<SparkConf> small = conf -> conf.set("spark.testing.memory", "10000000").set("spark.testing.reservedMemory", "0");
        float[][] models = new float[2][];
        for (int run = 0; run < 2; run++) {
            JavaSparkContext sc = SparkTestContext.start("local[2]", run == 0 ? small : conf -> { });
            try {
                Trainer trainer = TestConfigs.trainer(sc, data, settings);
                sparkprop.shards.ShardCache.Placement placement = trainer.trainCache();
                System.out.println(placement + ": " + placement.describe("training data"));
                if (run == 0) {
                    assertTrue(placement.diskBytes() > 0, "some of the 12.5 MB spilled: " + placement);
                    assertEquals(placement.partitions(), placement.partitionsCached(), "every partition cached, in memory or on disk");
                    assertTrue(placement.describe("training data").contains("spilled to their local disks"));
                } else {
                    assertEquals(0, placement.diskBytes(), "room to spare: " + placement);
                }
                models[run] = trainer.run(trainer.initialState(), new TrainingListener() { }, Integer.MAX_VALUE, Sync.STAGE).model().params();
            } finally {
                sc.stop();
            }
        }
        assertArrayEquals(models[1], models[0]);
    }
}
