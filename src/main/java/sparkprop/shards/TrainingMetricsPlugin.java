package sparkprop.shards;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Training progress as Spark metrics, through Spark's public plugin API, so every metrics sink
 * (Prometheus, JMX, Graphite, CSV, ...) shows it: the driver registers gauges named
 * {@code plugin.sparkprop.shards.TrainingMetricsPlugin.<name>} for the epoch and step in progress,
 * the epoch's mean training loss so far, samples per second, and the last validation and test
 * accuracy. The training loop reports into {@link #progress} as it goes (one training per driver
 * JVM, as one SparkContext).
 */
public final class TrainingMetricsPlugin implements SparkPlugin {
    /** What the gauges read; NaN until known. */
    public static final class Progress {
        volatile double epoch = Double.NaN, step = Double.NaN, loss = Double.NaN, samplesPerSecond = Double.NaN,
                validationAccuracy = Double.NaN, testAccuracy = Double.NaN;

        /** After a step: epoch and step counted from 1, the epoch's mean loss so far and its samples per second. */
        public void step(int epoch, int step, double meanLoss, double samplesPerSecond) {
            this.epoch = epoch;
            this.step = step;
            this.loss = meanLoss;
            this.samplesPerSecond = samplesPerSecond;
        }

        /** After an epoch's scoring (NaN for a set that was not scored). */
        public void scores(double validationAccuracy, double testAccuracy) {
            if (!Double.isNaN(validationAccuracy)) this.validationAccuracy = validationAccuracy;
            if (!Double.isNaN(testAccuracy)) this.testAccuracy = testAccuracy;
        }
    }

    public static final Progress progress = new Progress();

    @Override
    public DriverPlugin driverPlugin() {
        return new DriverPlugin() {
            @Override
            public Map<String, String> init(SparkContext sc, PluginContext context) {
                return Map.of();
            }

            @Override
            public void registerMetrics(String appId, PluginContext context) {
                MetricRegistry metrics = context.metricRegistry();
                metrics.register("epoch", (Gauge<Double>) () -> progress.epoch);
                metrics.register("step", (Gauge<Double>) () -> progress.step);
                metrics.register("loss", (Gauge<Double>) () -> progress.loss);
                metrics.register("samplesPerSecond", (Gauge<Double>) () -> progress.samplesPerSecond);
                metrics.register("validationAccuracy", (Gauge<Double>) () -> progress.validationAccuracy);
                metrics.register("testAccuracy", (Gauge<Double>) () -> progress.testAccuracy);
            }
        };
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return null;
    }

    /** Adds this plugin to {@code spark.plugins}, keeping any the user listed. */
    public static void register(SparkConf conf) {
        ClassList.add(conf, NativeBlasPlugin.PLUGINS, TrainingMetricsPlugin.class);
    }
}
