package sparkprop.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * The scaling lab's report (scripts/lab runs it): reads each run's metrics.jsonl, summary.json and
 * the lab's own lab.json (hosts, link bytes of the driver), and writes lab.json and lab.png beside
 * them with, per workload and host count, samples/s (epochs 2 on), efficiency against one host,
 * time to the target accuracy, where a step's time went, and bytes on the driver's link per step.
 * Runs as a source file: {@code java -cp ... LabReport.java DIR}.
 */
public final class LabReport {
    /** Test accuracy whose first epoch reaching it gives a run's time to target. */
    static final double TARGET = 0.98;

    record Run(String workload, int hosts, double samplesPerSecond, double timeToTarget, double stepMs, double computeMs, double exchangeMs,
               double updateMs, double driverBytesPerStep, String sha, double accuracy, String sync, int partitions, int shards) {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        ObjectMapper json = new ObjectMapper();
        Map<String, TreeMap<Integer, Run>> byWorkload = new TreeMap<>();
        try (var runs = Files.list(dir.resolve("runs"))) {
            for (Path run : runs.filter(Files::isDirectory).toList()) {
                if (!Files.exists(run.resolve("lab.json")) || !Files.exists(run.resolve("summary.json"))) continue;
                JsonNode lab = json.readTree(run.resolve("lab.json").toFile());
                JsonNode summary = json.readTree(run.resolve("summary.json").toFile());
                List<JsonNode> epochs = new ArrayList<>();
                for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) epochs.add(json.readTree(line));
                // Epoch 1 pays the JIT and the first stage's start: throughput and step times from epoch 2 on, where there is one.
                List<JsonNode> steady = epochs.size() > 1 ? epochs.subList(1, epochs.size()) : epochs;
                double seconds = 0, examples = 0, steps = 0, gradient = 0, compute = 0, update = 0;
                for (JsonNode e : steady) {
                    seconds += e.get("epoch_seconds").asDouble();
                    examples += e.get("samples_per_second").asDouble() * e.get("epoch_seconds").asDouble();
                    steps += e.get("steps").asDouble();
                    gradient += e.path("gradient_seconds").asDouble(Double.NaN);
                    compute += e.path("compute_seconds").asDouble(Double.NaN);
                    update += e.path("update_seconds").asDouble(Double.NaN);
                }
                double toTarget = Double.NaN, elapsed = 0;
                for (JsonNode e : epochs) {
                    elapsed += e.get("epoch_seconds").asDouble();
                    if (e.get("test_accuracy").asDouble() >= TARGET) {
                        toTarget = elapsed;
                        break;
                    }
                }
                int allSteps = epochs.stream().mapToInt(e -> e.get("steps").asInt()).sum();
                Run r = new Run(lab.get("workload").asText(), lab.get("hosts").asInt(), examples / seconds, toTarget, 1000 * seconds / steps,
                        1000 * compute / steps, 1000 * (gradient - compute) / steps, 1000 * update / steps,
                        (lab.get("driver_rx_bytes").asDouble() + lab.get("driver_tx_bytes").asDouble()) / allSteps,
                        summary.get("model_sha256").asText().substring(0, 12), summary.get("test_accuracy").asDouble(),
                        summary.get("sync").asText(), summary.path("partitions").asInt(), summary.get("config").get("shards").asInt());
                byWorkload.computeIfAbsent(r.workload() + "/" + lab.path("exchange").asText("ring"), w -> new TreeMap<>()).put(r.hosts(), r);
            }
        }
        ObjectNode out = json.createObjectNode();
        XYChart chart = new XYChartBuilder().width(900).height(560).title("sparkprop lab: training throughput against hosts")
                .xAxisTitle("simulated hosts").yAxisTitle("samples/s (epochs 2 on)").build();
        System.out.println();
        System.out.printf("%-13s %5s %10s %6s %9s %8s %8s %8s %8s %12s %-6s %4s %-12s %s%n", "workload", "hosts", "samples/s", "eff.",
                "to 98%", "step ms", "compute", "exchange", "update", "driver B/step", "sync", "part", "model", "test acc");
        for (Map.Entry<String, TreeMap<Integer, Run>> w : byWorkload.entrySet()) {
            ArrayNode rows = out.putArray(w.getKey());
            Run one = w.getValue().get(1);
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>(), ideal = new ArrayList<>();
            for (Run r : w.getValue().values()) {
                double efficiency = one == null ? Double.NaN : r.samplesPerSecond() / (r.hosts() * one.samplesPerSecond());
                ObjectNode row = rows.addObject();
                row.put("hosts", r.hosts()).put("samples_per_second", r.samplesPerSecond()).put("efficiency", efficiency)
                        .put("seconds_to_98", r.timeToTarget()).put("step_ms", r.stepMs()).put("compute_ms", r.computeMs())
                        .put("exchange_ms", r.exchangeMs()).put("update_ms", r.updateMs()).put("driver_link_bytes_per_step", r.driverBytesPerStep())
                        .put("model_sha256", r.sha()).put("test_accuracy", r.accuracy()).put("sync", r.sync()).put("partitions", r.partitions())
                        .put("shards", r.shards());
                System.out.printf("%-13s %5d %10.0f %6.2f %9s %8.1f %8.1f %8.1f %8.1f %12.0f %-6s %4d %-12s %.2f%%%n", w.getKey(), r.hosts(),
                        r.samplesPerSecond(), efficiency, Double.isNaN(r.timeToTarget()) ? "-" : String.format("%.1f s", r.timeToTarget()),
                        r.stepMs(), r.computeMs(), r.exchangeMs(), r.updateMs(), r.driverBytesPerStep(), r.sync(), r.partitions(), r.sha(),
                        100 * r.accuracy());
                xs.add((double) r.hosts());
                ys.add(r.samplesPerSecond());
                if (one != null) ideal.add(one.samplesPerSecond() * r.hosts());
            }
            chart.addSeries(w.getKey(), xs, ys);
            if (one != null) chart.addSeries(w.getKey() + " (ideal)", xs, ideal);
        }
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("lab.json").toFile(), out);
        BitmapEncoder.saveBitmap(chart, dir.resolve("lab.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("\nlab report: " + dir.resolve("lab.json") + ", " + dir.resolve("lab.png"));
    }
}
