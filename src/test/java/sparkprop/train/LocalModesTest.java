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
}
