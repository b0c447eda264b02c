package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class SparkContextsTest {
    /** On a cluster the driver's UI follows Spark's default (on); local runs keep it off unless the user turned it on. */
    @Test
    void theSparkUiRunsOnAClusterAndLocallyOnlyWhenAskedFor() {
        SparkConf cluster = SparkContexts.conf("t", "spark://127.0.0.1:7077", "local[*]");
        assertFalse(cluster.contains("spark.ui.enabled"), "left to Spark's default");
        assertEquals("false", SparkContexts.conf("t", null, "local[*]").get("spark.ui.enabled"));
        System.setProperty("spark.ui.enabled", "true");
        try {
            assertEquals("true", SparkContexts.conf("t", "local[2]", "local[*]").get("spark.ui.enabled"));
        } finally {
            System.clearProperty("spark.ui.enabled");
        }
        SparkConf submitted = withMaster("yarn", () -> SparkContexts.conf("t", null, "local[*]"));
        assertEquals("yarn", submitted.get("spark.master"));
        assertFalse(submitted.contains("spark.ui.enabled"));
        assertTrue(SparkContexts.UI_HELP.contains("spark.ui.enabled=true"));
    }

    /**
     * The race inside Spark between its UI and YARN's application master is told apart from every other failure to
     * start: only Jetty's ConcurrentModificationException, however wrapped, and only for a YARN client-mode driver.
     */
    @Test
    void onlyJettysConcurrentModificationOnAYarnClientDriverIsStartedAgain() {
        java.util.ConcurrentModificationException jetty = new java.util.ConcurrentModificationException();
        jetty.setStackTrace(new StackTraceElement[] {new StackTraceElement("java.util.ArrayList$Itr", "checkForComodification", "ArrayList.java", 1),
            new StackTraceElement("org.sparkproject.jetty.servlet.ServletHandler", "initialize", "ServletHandler.java", 749)});
        java.util.ConcurrentModificationException elsewhere = new java.util.ConcurrentModificationException();
        elsewhere.setStackTrace(new StackTraceElement[] {new StackTraceElement("org.apache.spark.SparkContext", "<init>", "SparkContext.scala", 1)});
        Exception gathered = new Exception("Multiple exceptions");
        gathered.addSuppressed(jetty);
        SparkConf client = new SparkConf().set("spark.master", "yarn");
        SparkConf cluster = new SparkConf().set("spark.master", "yarn").set("spark.submit.deployMode", "cluster");
        SparkConf standalone = new SparkConf().set("spark.master", "spark://127.0.0.1:7077");
        assertTrue(SparkContexts.uiRacedWithYarn(jetty, client));
        assertTrue(SparkContexts.uiRacedWithYarn(new IllegalStateException(gathered), client), "found under a cause's suppressed");
        assertFalse(SparkContexts.uiRacedWithYarn(elsewhere, client), "not Jetty's");
        assertFalse(SparkContexts.uiRacedWithYarn(new IllegalStateException("no executors"), client));
        assertFalse(SparkContexts.uiRacedWithYarn(jetty, cluster), "YARN makes the next attempt of a cluster-mode driver");
        assertFalse(SparkContexts.uiRacedWithYarn(jetty, standalone));
    }

    /** What spark-submit does: its master arrives as a system property. */
    private static SparkConf withMaster(String master, java.util.function.Supplier<SparkConf> make) {
        String before = System.getProperty("spark.master");
        System.setProperty("spark.master", master);
        try {
            return make.get();
        } finally {
            if (before == null) System.clearProperty("spark.master"); else System.setProperty("spark.master", before);
        }
    }
}
