package sparkprop.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import sparkprop.train.Trainer;

/** How the commands start Spark: quiet, the web UI on a cluster only (Spark's default there), one BLAS thread per executor task. */
final class SparkContexts {
    private SparkContexts() {
    }

    /** The kernel family the scripts pin: AVX2's, which every x86-64 server of the last decade runs. */
    static final String DEFAULT_KERNEL = "Haswell";

    /**
     * The OpenBLAS core type executors are given: the driver's own OPENBLAS_CORETYPE, else {@link
     * #DEFAULT_KERNEL}; null (each node picks its fastest) with SPARKPROP_BLAS_KERNEL=per-node.
     */
    static String pinnedKernel() {
        if ("per-node".equals(System.getenv("SPARKPROP_BLAS_KERNEL"))) return null;
        String own = System.getenv("OPENBLAS_CORETYPE");
        return own == null || own.isBlank() ? DEFAULT_KERNEL : own;
    }

    /** For --help: when the Spark UI runs and how to have it in local mode. */
    static final String UI_HELP = "%nThe Spark UI (http://DRIVER:4040) runs when the master is a cluster, as Spark's default; local runs leave it "
            + "off unless spark.ui.enabled=true, e.g. SPARKPROP_JAVA_OPTS=-Dspark.ui.enabled=true scripts/train ...";

    /** The settings {@link #start} gives Spark (on top of spark-submit's and spark-defaults'). */
    static SparkConf conf(String appName, String explicitMaster, String fallbackMaster) {
        SparkConf conf = new SparkConf().setAppName(appName)
                // Two task slots each running a multi-threaded OpenBLAS oversubscribe the cores (docs/PERF-NOTES.md, "Threads").
                .setIfMissing("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
        // One OpenBLAS kernel family on every executor, so the same seed gives the same bits on any CPU (docs/reproducibility.md).
        String kernel = pinnedKernel();
        if (kernel != null) conf.setIfMissing("spark.executorEnv.OPENBLAS_CORETYPE", kernel);
        Trainer.tune(conf);
        // A standalone worker hands the processes it launches (a cluster-mode driver too) the cluster's secret in
        // this variable, never as a setting; Spark's executors read it there, but a driver insists on the setting.
        String handedSecret = System.getenv("_SPARK_AUTH_SECRET");
        if (conf.getBoolean("spark.authenticate", false) && !conf.contains("spark.authenticate.secret") && handedSecret != null) {
            conf.set("spark.authenticate.secret", handedSecret);
        }
        if (explicitMaster != null) conf.setMaster(explicitMaster); else conf.setIfMissing("spark.master", fallbackMaster);
        // On a cluster the driver's UI is what Spark users look at (Spark's default, on); a local run stays quiet unless asked.
        if (conf.get("spark.master").startsWith("local")) conf.setIfMissing("spark.ui.enabled", "false");
        return conf;
    }

    /**
     * @param explicitMaster the user's --master, which wins over spark-submit's; null if not given
     * @param fallbackMaster used when neither the user nor spark-submit set one
     */
    static JavaSparkContext start(String appName, String explicitMaster, String fallbackMaster) {
        SparkConf conf = conf(appName, explicitMaster, fallbackMaster);
        try {
            return started(conf);
        } catch (RuntimeException e) {
            if (!uiRacedWithYarn(e, conf)) throw e;
            System.err.println("warning: Spark failed to start its web UI while YARN's application master registered (a race inside Spark: "
                    + e.getClass().getSimpleName() + "); starting the application once more");
            return started(conf);
        }
    }

    /**
     * Spark's UI, attaching its pages as the context starts, can race with YARN's application master adding its proxy
     * filter to them from another thread; the context then fails with Jetty's ConcurrentModificationException before any
     * of our code runs (seen about once in fifteen YARN client-mode starts here). Nothing of the run has happened yet, so
     * a client-mode driver starts again; a cluster-mode driver (inside the application master) leaves it to YARN's next
     * attempt.
     */
    static boolean uiRacedWithYarn(Throwable failure, SparkConf conf) {
        if (!conf.get("spark.master", "").startsWith("yarn") || "cluster".equals(conf.get("spark.submit.deployMode", "client"))) return false;
        return jettyModifiedWhileIterating(failure, 0);
    }

    /** Whether {@code t}, its causes or what they suppressed (Jetty gathers its start's failures so) hold Jetty's ConcurrentModificationException. */
    private static boolean jettyModifiedWhileIterating(Throwable t, int depth) {
        if (t == null || depth > 8) return false;
        if (t instanceof java.util.ConcurrentModificationException) {
            for (StackTraceElement frame : t.getStackTrace()) {
                if (frame.getClassName().contains(".jetty.")) return true;
            }
        }
        for (Throwable suppressed : t.getSuppressed()) {
            if (jettyModifiedWhileIterating(suppressed, depth + 1)) return true;
        }
        return t.getCause() != t && jettyModifiedWhileIterating(t.getCause(), depth + 1);
    }

    private static JavaSparkContext started(SparkConf conf) {
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(conf);
        } catch (Exception e) { // Spark's SparkException, checked as Java sees it
            String why = e.getMessage() == null ? "" : e.getMessage();
            if (why.startsWith("Could not parse Master URL") || why.startsWith("Asked to run locally with")) {
                throw new sparkprop.core.BadInputException("--master " + conf.get("spark.master") + ": " + why
                        + " (expected local, local[N] with N >= 1, local[*], spark://HOST:PORT, yarn or k8s://HOST:PORT)");
            }
            if (e instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e);
        }
        sc.setLogLevel("WARN");
        return sc;
    }

    /**
     * The OpenBLAS kernel family the executors of {@code sc} run: in local mode the driver's own,
     * else the one pinned through spark.executorEnv, or "per-node" when none is.
     */
    static String executorKernel(JavaSparkContext sc) {
        if (sc.isLocal()) {
            String own = System.getenv("OPENBLAS_CORETYPE");
            return own == null || own.isBlank() ? "per-node" : own;
        }
        return sc.getConf().get("spark.executorEnv.OPENBLAS_CORETYPE", "per-node");
    }
}
