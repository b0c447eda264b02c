package sparkprop.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import sparkprop.train.Trainer;

/** How the commands start Spark: quiet, no web UI unless asked for, one BLAS thread per executor task. */
final class SparkContexts {
    private SparkContexts() {
    }

    /**
     * @param explicitMaster the user's --master, which wins over spark-submit's; null if not given
     * @param fallbackMaster used when neither the user nor spark-submit set one
     */
    static JavaSparkContext start(String appName, String explicitMaster, String fallbackMaster) {
        SparkConf conf = new SparkConf().setAppName(appName)
                .setIfMissing("spark.ui.enabled", "false")
                // Two task slots each running a multi-threaded OpenBLAS oversubscribe the cores (docs/PERF-NOTES.md, "Threads").
                .setIfMissing("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
        Trainer.tune(conf);
        if (explicitMaster != null) conf.setMaster(explicitMaster); else conf.setIfMissing("spark.master", fallbackMaster);
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        return sc;
    }
}
