package sparkprop.shards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import sparkprop.core.Blas;
import sparkprop.train.Trainer;

/** The settings every command applies start the plugin in each executor (local mode: this JVM's), before any task. */
class NativeBlasPluginTest {
    @Test
    void tunedContextsSetUpBlasWhenTheExecutorStarts() {
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("plugin-test").set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1").set("spark.plugins", "");
        Trainer.tune(conf);
        Trainer.tune(conf); // twice: listed once
        assertEquals(NativeBlasPlugin.class.getName() + "," + TrainingMetricsPlugin.class.getName(), conf.get("spark.plugins"));
        NativeBlasPlugin.startedWith = null;
        JavaSparkContext sc = new JavaSparkContext(conf);
        try {
            assertEquals(Blas.describe(), NativeBlasPlugin.startedWith);
            assertTrue(NativeBlasPlugin.startedWith.startsWith("native"), NativeBlasPlugin.startedWith);
        } finally {
            sc.stop();
        }
    }
}
