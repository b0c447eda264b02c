package sparkprop.train;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** A quiet local Spark context for tests: no UI, loopback only. */
final class SparkTestContext {
    private SparkTestContext() {
    }

    static JavaSparkContext start(String master) {
        return start(master, conf -> { });
    }

    /** @param settings applied to the configuration before the context starts */
    static JavaSparkContext start(String master, java.util.function.Consumer<SparkConf> settings) {
        SparkConf conf = new SparkConf().setMaster(master).setAppName("sparkprop-test")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.sql.shuffle.partitions", "2");
        settings.accept(conf);
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("ERROR");
        return sc;
    }
}
