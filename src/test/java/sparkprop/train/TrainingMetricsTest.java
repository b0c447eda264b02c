package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Dataset;
import sparkprop.data.Fixtures;

/** Training progress in Spark's metrics, scraped from the driver's Prometheus endpoint while a run trains. */
class TrainingMetricsTest {
    @TempDir
    Path dir;

    @Test
    void theDriversPrometheusEndpointShowsTheRunsProgress() throws Exception {
        Dataset data = Dataset.open(Fixtures.syntheticMnist(dir, 500, 100, 8, false, 6).toString(), new Configuration());
        JavaSparkContext sc = SparkTestContext.start("local[2]", conf -> {
            Trainer.tune(conf);
            conf.set("spark.ui.enabled", "true").set("spark.ui.port", "0")
                    .set("spark.metrics.conf.*.sink.prometheusServlet.class", "org.apache.spark.metrics.sink.PrometheusServlet")
                    .set("spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus");
        });
        try {
            String endpoint = sc.sc().uiWebUrl().get() + "/metrics/prometheus";
            Trainer trainer = TestConfigs.trainer(sc, data, "layers", "64,20,10", "batch-size", "32", "epochs", "3", "seed", "3", "validation", "40");
            List<String> scraped = new ArrayList<>();
            double[] lossThen = new double[1];
            trainer.run(trainer.initialState(), new TrainingListener() {
                @Override
                public void stepFinished(int epoch, int step, int steps, double meanLoss, long examplesSoFar, double secondsSoFar) {
                    if (epoch == 1 && step == 4 && scraped.isEmpty()) {
                        lossThen[0] = meanLoss;
                        scraped.addAll(get(endpoint).lines().filter(l -> l.contains("sparkprop") && l.contains("_Value")).toList());
                    }
                }
            });
            System.out.println(String.join("\n", scraped));
            assertEquals(6, scraped.size(), scraped.toString());
            assertEquals(2.0, value(scraped, "_epoch_"));
            assertEquals(5.0, value(scraped, "_step_"));
            assertEquals(lossThen[0], value(scraped, "_loss_"), 1e-9);
            assertTrue(value(scraped, "_samplesPerSecond_") > 0);
            double accuracy = value(scraped, "_validationAccuracy_");
            assertTrue(accuracy >= 0 && accuracy <= 1, "epoch 1's validation accuracy: " + accuracy);
            assertTrue(value(scraped, "_testAccuracy_") >= 0);
        } finally {
            sc.stop();
        }
    }

    private static double value(List<String> lines, String name) {
        String line = lines.stream().filter(l -> l.contains(name)).findFirst().orElseThrow(() -> new AssertionError(name + " in " + lines));
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    private static String get(String url) {
        try {
            HttpResponse<String> r = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()
                    .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), url);
            return r.body();
        } catch (Exception e) {
            throw new AssertionError("cannot scrape " + url, e);
        }
    }
}
