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
