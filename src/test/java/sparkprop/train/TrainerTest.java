package sparkprop.train;

import sparkprop.shards.ShardSampler;
import sparkprop.shards.ShardLayout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.core.Backprop;
import sparkprop.core.NetworkSpec;
import sparkprop.data.Dataset;
import sparkprop.data.Examples;
import sparkprop.data.Fixtures;

/** The distributed loop on one shared local[2] context. */
class TrainerTest {
    static JavaSparkContext sc;
    @TempDir
    static Path dir;
    static Dataset small;
    static Dataset learnable;
    static Dataset learnableGz;

    @BeforeAll
    static void start() throws Exception {
        sc = SparkTestContext.start("local[2]");
        Configuration conf = new Configuration();
        small = Dataset.open(Fixtures.syntheticMnist(dir.resolve("small"), 203, 50, 6, false, 3).toString(), conf);
        learnable = Dataset.open(Fixtures.syntheticMnist(dir.resolve("learnable"), 3000, 500, 10, false, 4).toString(), conf);
        learnableGz = Dataset.open(Fixtures.syntheticMnist(dir.resolve("learnable-gz"), 3000, 500, 10, true, 4).toString(), conf);
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void aSparkStepEqualsTheSameStepComputedByTheCoreAlone() throws Exception {
        Trainer trainer = TestConfigs.trainer(sc, small, "layers", "36,16,10", "shards", "4", "batch-size", "30", "partitions", "2",
                "validation", "20", "seed", "5");
        float[] params = trainer.initialState().params();
        StepPlan plan = new StepPlan(5, 20, 1, 2, 30, trainer.layout());
        float[] spark = new float[params.length];
        GradientSum.Totals distributed = trainer.stepGradient(params, plan, spark);

        // The core alone: each shard's examples for this step, its gradient, added in shard order.
        NetworkSpec spec = trainer.spec();
        Examples all = small.train().read(new Configuration(), 0, small.train().count());
        ShardLayout layout = trainer.layout();
        GradientSum alone = new GradientSum(params.length);
        float[] globalX = new float[36 * 30];
        int[] globalY = new int[30];
        int filled = 0;
        for (int s = 0; s < 4; s++) {
            int n = layout.share(30, s);
            int[] local = ShardSampler.epochOrder(5, 1, s, ShardSampler.training(5, s, layout.shardSize(s), layout.share(20, s)));
            int[] indices = new int[n];
            for (int j = 0; j < n; j++) indices[j] = layout.shardStart(s) + local[2 * n + j];
            float[] x = new float[36 * n];
            int[] y = new int[n];
            all.toInputs(indices, 0, n, x, y);
            float[] g = new float[params.length];
            double loss = new Backprop(spec).lossAndGradient(params, x, y, n, g);
            alone.addShard(g, loss, n);
            System.arraycopy(x, 0, globalX, filled * 36, x.length);
            System.arraycopy(y, 0, globalY, filled, n);
            filled += n;
        }
        float[] core = new float[params.length];
        alone.meanGradient(core, 30);
        assertArrayEquals(core, spark, "bit-identical to the core alone");
        assertEquals(alone.lossSum(), distributed.lossSum());
        assertEquals(30, distributed.examples());

        // And the same numbers as one plain batch of all 30 examples, up to float rounding.
        float[] whole = new float[params.length];
        new Backprop(spec).lossAndGradient(params, globalX, globalY, 30, whole);
        for (int i = 0; i < whole.length; i++) assertEquals(whole[i] / 30, spark[i], 1e-6, "parameter " + i);
    }

    private static float[] train(Dataset data, String... settings) {
        Trainer trainer = TestConfigs.trainer(sc, data, settings);
        return trainer.run(trainer.initialState(), new TrainingListener() { }).model().params();
    }

    @Test
    void sameSeedAndShardsGiveTheSameModelWhateverThePartitioning() {
        String[] base = {"layers", "36,16,10", "shards", "6", "batch-size", "24", "epochs", "2", "seed", "9"};
        float[] one = train(small, concat(base, "partitions", "1"));
        float[] two = train(small, concat(base, "partitions", "2"));
        float[] three = train(small, concat(base, "partitions", "3"));
        float[] again = train(small, concat(base, "partitions", "2"));
        assertArrayEquals(one, two);
        assertArrayEquals(one, three);
        assertArrayEquals(one, again);
        float[] otherSeed = train(small, "layers", "36,16,10", "shards", "6", "batch-size", "24", "epochs", "2", "seed", "10");
        assertFalse(java.util.Arrays.equals(one, otherSeed));
    }

    @Test
    void dropoutIsReproducibleWhateverThePartitioningAndMaxNormHolds() {
        String[] base = {"layers", "36,16,10", "shards", "6", "batch-size", "24", "epochs", "2", "seed", "9", "learning-rate", "2"};
        String[] regularised = concat(concat(concat(base, "input-dropout", "0.2"), "dropout", "0.5"), "max-norm", "0.8");
        float[] one = train(small, concat(regularised, "partitions", "1"));
        float[] three = train(small, concat(regularised, "partitions", "3"));
        assertArrayEquals(one, three);
        float[] plain = train(small, concat(base, "partitions", "3"));
        float[] dropoutOnly = train(small, concat(concat(base, "dropout", "0.5"), "partitions", "3"));
        assertFalse(java.util.Arrays.equals(plain, dropoutOnly), "dropout changes training");
        assertFalse(java.util.Arrays.equals(dropoutOnly, one), "input dropout and max-norm change it again");
        NetworkSpec spec = TestConfigs.with(base).network(36);
        double largestPlain = 0, largest = 0;
        for (int l = 0; l < spec.layerCount(); l++) {
            for (int o = 0; o < spec.out(l); o++) {
                largestPlain = Math.max(largestPlain, sparkprop.core.MaxNormTest.norm(spec, plain, l, o));
                largest = Math.max(largest, sparkprop.core.MaxNormTest.norm(spec, one, l, o));
            }
        }
        assertTrue(largestPlain > 0.8, "without the limit some unit grows past it: " + largestPlain);
        assertTrue(largest <= 0.8 + 1e-5, "with --max-norm 0.8 no unit is longer: " + largest);
    }

    @Test
    void withEmaTheModelIsTheAverageAndTrainingFollowsTheRawParameters() {
        String[] base = {"layers", "36,16,10", "shards", "6", "batch-size", "24", "epochs", "2", "seed", "9", "dropout", "0.3", "partitions", "2"};
        Trainer plain = TestConfigs.trainer(sc, small, base);
        TrainingState raw = plain.initialState();
        float[] plainModel = plain.run(raw, new TrainingListener() { }).model().params();

        Trainer averaged = TestConfigs.trainer(sc, small, concat(base, "ema", "0.9"));
        TrainingState state = averaged.initialState();
        // An independent average in double precision of the iterates after every step, with the decay schedule of ParameterAverage.
        double[] ema = new double[state.params().length];
        for (int i = 0; i < ema.length; i++) ema[i] = state.params()[i];
        long[] step = {0};
        TrainingListener following = new TrainingListener() {
            void after(TrainingState s) {
                double decay = sparkprop.core.ParameterAverage.decayAt(0.9, step[0]++);
                for (int i = 0; i < ema.length; i++) ema[i] = decay * ema[i] + (1 - decay) * s.params()[i];
            }

            @Override
            public int stateWantedEvery() {
                return 1; // every step's state, also where the stage's tasks keep it
            }

            @Override
            public void midEpoch(TrainingState s) {
                after(s);
            }

            @Override
            public void epochFinished(EpochMetrics metrics, TrainingState s) {
                after(s);
            }
        };
        float[] model = averaged.run(state, following).model().params();

        assertArrayEquals(raw.params(), state.params(), "the average does not feed back into training");
        assertArrayEquals(plainModel, raw.params(), "without --ema the model is the raw parameters");
        assertArrayEquals(state.average(), model, "with --ema the model is the average");
        assertFalse(java.util.Arrays.equals(model, state.params()));
        assertEquals(2L * averaged.stepsPerEpoch(), step[0], "every step's iterate was seen");
        double gap = 0;
        for (int i = 0; i < model.length; i++) gap = Math.max(gap, Math.abs(model[i] - ema[i]));
        assertTrue(gap < 1e-5, "the model is the moving average of the iterates (float32 against double): " + gap);
        assertArrayEquals(model, train(small, concat(concat(base, "ema", "0.9"), "partitions", "3")), "reproducible on other partitionings");
    }

    @Test
    void beyondTheThresholdPartitionsAreTreeReducedToTheSameBits() {
        String[] base = {"layers", "36,16,10", "shards", "36", "batch-size", "72", "epochs", "1", "seed", "4", "dropout", "0.2"};
        float[] collected = train(small, concat(base, "partitions", "2"));
        Trainer tree = TestConfigs.trainer(sc, small, concat(base, "partitions", "36"));
        assertTrue(tree.layout().partitions() > Trainer.TREE_THRESHOLD, "the tree path is taken");
        assertArrayEquals(collected, tree.run(tree.initialState(), new TrainingListener() { }).model().params());
    }

    @Test
    void theSparkLoopEndsInTheSameBitsAsThePlainLoopWithoutSpark() throws Exception {
        String[] settings = {"layers", "36,16,10", "shards", "6", "batch-size", "24", "epochs", "3", "seed", "2", "validation", "30",
                "input-dropout", "0.1", "dropout", "0.3", "max-norm", "2", "optimizer", "nesterov", "partitions", "3"};
        Trainer trainer = TestConfigs.trainer(sc, small, settings);
        TrainingResult spark = trainer.run(trainer.initialState(), new TrainingListener() { });
        Configuration conf = new Configuration();
        TrainingResult plain = PlainLoop.run(TestConfigs.with(settings), small.train().read(conf, 0, small.train().count()),
                small.test().read(conf, 0, small.test().count()));
        assertArrayEquals(spark.model().params(), plain.model().params());
        assertEquals(spark.bestEpoch(), plain.bestEpoch());
        for (int e = 0; e < 3; e++) {
            assertEquals(spark.history().get(e).valLoss(), plain.history().get(e).valLoss(), 1e-9, "validation loss, epoch " + (e + 1));
            assertEquals(spark.history().get(e).testAccuracy(), plain.history().get(e).testAccuracy(), "test accuracy, epoch " + (e + 1));
        }
    }

    @Test
    void gzippedDataIsSpreadAndGivesTheSameModelAsRaw() {
        String[] settings = {"layers", "100,10", "shards", "4", "batch-size", "64", "epochs", "1", "partitions", "2"};
        assertArrayEquals(train(learnable, settings), train(learnableGz, settings));
    }

    @Test
    void aShortTrainingLearns() {
        Trainer trainer = TestConfigs.trainer(sc, learnable, "layers", "100,32,10", "shards", "4", "batch-size", "64",
                "epochs", "3", "validation", "300", "learning-rate", "0.05");
        TrainingResult result = trainer.run(trainer.initialState(), new TrainingListener() { });
        EpochMetrics first = result.history().get(0), last = result.history().get(2);
        System.out.printf("short training: test accuracy %.3f, val accuracy %.3f, loss %.4f -> %.4f%n", last.testAccuracy(),
                last.valAccuracy(), first.trainLoss(), last.trainLoss());
        assertTrue(last.testAccuracy() > 0.9, "test accuracy " + last.testAccuracy());
        assertTrue(last.trainLoss() < first.trainLoss());
        assertTrue(last.valAccuracy() > 0.9, "validation accuracy " + last.valAccuracy());
        assertTrue(result.bestEpoch() >= 1 && result.bestEpoch() <= 3);
    }

    @Test
    void divergenceStopsWithAMessageAboutTheLearningRate() {
        Trainer trainer = TestConfigs.trainer(sc, learnable, "layers", "100,32,10", "init", "standard-normal",
                "learning-rate", "1e30", "schedule", "constant", "epochs", "1");
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> trainer.run(trainer.initialState(), new TrainingListener() { }));
        assertTrue(e.getMessage().contains("lower --learning-rate"), e.getMessage());
    }

    /** One step an epoch: its loss is finite, the update after it is not, and only the epoch's scores can tell. */
    @Test
    void divergenceInTheLastUpdateOfAnEpochIsCaughtToo() {
        for (Sync mode : new Sync[]{Sync.STAGE, Sync.JOBS}) {
            Trainer trainer = TestConfigs.trainer(sc, small, "layers", "36,16,10", "shards", "2", "batch-size", "200", "epochs", "1",
                    "learning-rate", "1e38", "schedule", "constant", "warmup", "0", "partitions", "2");
            assertEquals(1, trainer.stepsPerEpoch());
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> trainer.run(trainer.initialState(), new TrainingListener() { }, 1, mode));
            assertTrue(e.getMessage().contains("after its last step") && e.getMessage().contains("lower --learning-rate"), e.getMessage());
        }
    }

    @Test
    void batchLargerThanTheDataIsRefusedBeforeAnyStep() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestConfigs.trainer(sc, small, "layers", "36,10", "batch-size", "500"));
        assertTrue(e.getMessage().contains("--batch-size 500"), e.getMessage());
        IllegalArgumentException shards = assertThrows(IllegalArgumentException.class,
                () -> TestConfigs.trainer(sc, small, "layers", "36,10", "shards", "300", "batch-size", "300"));
        assertTrue(shards.getMessage().contains("--shards 300: more than the 203 training examples"), shards.getMessage());
    }

    @Test
    void theLibraryApiTrainsSavesLoadsAndPredicts() throws Exception {
        TrainConfig config = TrainConfig.defaults().with("layers", "100,24,10").with("epochs", "2").with("batch-size", "50");
        TrainingResult result = Trainer.train(sc, learnable, config);
        assertEquals(2, result.history().size());
        Path file = dir.resolve("api-model.bin");
        result.model().save(file);
        sparkprop.core.Model loaded = sparkprop.core.Model.load(file);
        Examples test = learnable.test().read(new Configuration(), 0, 100);
        float[] x = new float[100 * 100];
        int[] y = new int[100];
        test.toInputs(0, 100, x, y);
        assertArrayEquals(result.model().predict(x, 100), loaded.predict(x, 100));
        int[] classes = loaded.predictClasses(x, 100);
        int correct = 0;
        for (int i = 0; i < 100; i++) if (classes[i] == y[i]) correct++;
        assertTrue(correct > 85, correct + " of 100");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> config.with("momentum", "2"));
        assertTrue(bad.getMessage().contains("--momentum"), bad.getMessage());
    }

    static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Without Spark's authentication the exchange is as open as Spark: a cluster run says so in one line; local runs and authenticated ones do not. */
    @Test
    void aClusterRunWithoutSparkAuthenticationIsWarnedThatTheExchangeIsOpen() {
        org.apache.spark.SparkConf open = new org.apache.spark.SparkConf(false);
        String warning = Trainer.openExchangeWarning(open, false);
        org.junit.jupiter.api.Assertions.assertNotNull(warning);
        assertTrue(warning.startsWith("warning: spark.authenticate is off") && warning.contains("set spark.authenticate=true"), warning);
        assertEquals(null, Trainer.openExchangeWarning(open, true), "local mode: no one else's tasks");
        assertEquals(null, Trainer.openExchangeWarning(new org.apache.spark.SparkConf(false).set("spark.authenticate", "true"), false));
        assertEquals(null, TestConfigs.trainer(sc, small, "layers", "36,10", "batch-size", "20").openExchangeWarning(Sync.STAGE), "this suite's context is local");
    }
}
