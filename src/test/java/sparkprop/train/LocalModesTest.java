package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Dataset;
import sparkprop.data.Fixtures;

/** The reproducibility guarantee across real contexts: local[1] and local[2] train the same bits. */
class LocalModesTest {
    @TempDir
    Path dir;

    private float[] trainOn(String master, Dataset data) {
        JavaSparkContext sc = SparkTestContext.start(master);
        try {
            Trainer trainer = TestConfigs.trainer(sc, data, "layers", "64,20,10", "shards", "4", "batch-size", "32",
                    "epochs", "2", "seed", "3", "validation", "40");
            return trainer.run(trainer.initialState(), new TrainingListener() { }).model().params();
        } finally {
            sc.stop();
        }
    }

    @Test
    void localOneAndLocalTwoGiveBitIdenticalModels() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, false, 6).toString(), new Configuration());
        assertArrayEquals(trainOn("local[1]", data), trainOn("local[2]", data));
    }
}
