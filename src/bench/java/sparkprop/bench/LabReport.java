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
               double updateMs, double driverBytesPerStep, String sha, double accuracy, String sync, int partitions, int shards, Cpu cpu) {
    }

    /** The thread classes a host's CPU is split into, by thread name. */
    static final List<String> CLASSES = List.of("task", "exchange", "jit", "gc", "other");

    /**
     * Where the hosts' CPU went while the run was throttled (scripts/lab's snapshots in RUN/cpu, every 3 s): per worker
     * host (the mean over them) and for the driver's host, cores used by each thread class, and the share of CFS periods in
     * which a worker host used up its quota. Each host from the first snapshot to its last one that still has the
     * executor's task thread (the executor ends before the driver). Null where the lab took fewer than two snapshots.
     */
    record Cpu(Map<String, Double> workerCores, double driverCores, double throttledShare) {
        /** One snapshot: its time, and per role, thread id to [ticks] and name; "cfs" to [periods, throttled]. */
        record Snapshot(double time, Map<String, Map<String, long[]>> ticks, Map<String, Map<String, String>> names) {
        }

        static Cpu read(Path run) throws IOException {
            Path dir = run.resolve("cpu");
            if (!Files.isDirectory(dir)) return null;
            List<Snapshot> snapshots = new ArrayList<>();
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) snapshots.add(parse(f));
            }
            if (snapshots.size() < 2) return null;
            Snapshot first = snapshots.get(0);
            Map<String, Double> worker = new TreeMap<>();
            for (String c : CLASSES) worker.put(c, 0.0);
            double driver = 0;
            long periods = 0, throttled = 0;
            int workers = 0;
            for (String role : first.ticks().keySet()) {
                Map<String, long[]> at0 = first.ticks().get(role);
                // The interval ends at the host's last snapshot that still has an executor's task thread (the driver's:
                // the last); a thread that ended before counts with its last ticks seen.
                int end = -1;
                for (int i = 1; i < snapshots.size(); i++) {
                    Map<String, String> names = snapshots.get(i).names().getOrDefault(role, Map.of());
                    if (role.equals("driver") ? names.size() > 0 : names.values().stream().anyMatch(t -> t.startsWith("Executor task"))) end = i;
                }
                if (end < 0) continue;
                Map<String, Long> latest = new TreeMap<>();
                Map<String, String> named = new TreeMap<>();
                for (int i = 1; i <= end; i++) {
                    Snapshot sn = snapshots.get(i);
                    sn.ticks().getOrDefault(role, Map.of()).forEach((tid, v) -> latest.put(tid, v[0]));
                    named.putAll(sn.names().getOrDefault(role, Map.of()));
                }
                double seconds = snapshots.get(end).time() - first.time();
                long[] cfs0 = at0.get("cfs"), cfs1 = snapshots.get(end).ticks().get(role).get("cfs");
                if (role.startsWith("h") && cfs0 != null && cfs1 != null) {
                    periods += cfs1[0] - cfs0[0];
                    throttled += cfs1[1] - cfs0[1];
                }
                Map<String, Double> cores = new TreeMap<>();
                for (Map.Entry<String, Long> e : latest.entrySet()) {
                    if (e.getKey().equals("cfs")) continue;
                    long[] before = at0.get(e.getKey());
                    long delta = e.getValue() - (before == null ? 0 : before[0]);
                    cores.merge(classOf(named.getOrDefault(e.getKey(), "")), delta / 100.0 / seconds, Double::sum); // USER_HZ ticks
                }
                if (role.equals("driver")) driver = cores.values().stream().mapToDouble(Double::doubleValue).sum();
                if (role.startsWith("h")) {
                    workers++;
                    cores.forEach((c, v) -> worker.merge(c, v, Double::sum));
                }
            }
            int n = Math.max(1, workers);
            worker.replaceAll((c, v) -> v / n);
            return new Cpu(worker, driver, periods == 0 ? Double.NaN : (double) throttled / periods);
        }

        static String classOf(String thread) {
            if (thread.startsWith("Executor task")) return "task";
            if (thread.startsWith("sparkprop-")) return "exchange";
            if (thread.startsWith("C1 Compiler") || thread.startsWith("C2 Compiler")) return "jit";
            if (thread.startsWith("GC Thread") || thread.startsWith("G1 ") || thread.equals("VM Thread")) return "gc";
            return "other";
        }

        private static Snapshot parse(Path file) throws IOException {
            double time = Double.NaN;
            Map<String, Map<String, long[]>> ticks = new TreeMap<>();
            Map<String, Map<String, String>> names = new TreeMap<>();
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split(" ", 4);
                if (f[0].equals("time") && f.length > 1) {
                    time = Double.parseDouble(f[1]);
                } else if (f.length >= 3 && f[1].equals("cfs")) {
                    String[] v = line.trim().split(" ");
                    if (v.length >= 4) ticks.computeIfAbsent(f[0], r -> new TreeMap<>()).put("cfs", new long[] {Long.parseLong(v[2]), Long.parseLong(v[3])});
                } else if (f.length >= 3) {
                    ticks.computeIfAbsent(f[0], r -> new TreeMap<>()).put(f[1], new long[] {Long.parseLong(f[2])});
                    names.computeIfAbsent(f[0], r -> new TreeMap<>()).put(f[1], f.length > 3 ? f[3] : "");
                }
            }
            return new Snapshot(time, ticks, names);
        }
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
                // Epoch 1 pays the JIT and the first stage's start, and the lab runs the first warm_epochs unthrottled:
                // throughput and step times from the first epoch after both, where there is one.
                int unthrottled = lab.path("warm_epochs").asInt(0), warm = Math.max(1, unthrottled);
                List<JsonNode> steady = epochs.size() > warm ? epochs.subList(warm, epochs.size()) : epochs;
                double seconds = 0, examples = 0, steps = 0, gradient = 0, compute = 0, update = 0;
                for (JsonNode e : steady) {
                    seconds += e.get("epoch_seconds").asDouble();
                    examples += e.get("samples_per_second").asDouble() * e.get("epoch_seconds").asDouble();
                    steps += e.get("steps").asDouble();
                    gradient += e.path("gradient_seconds").asDouble(Double.NaN);
                    compute += e.path("compute_seconds").asDouble(Double.NaN);
                    update += e.path("update_seconds").asDouble(Double.NaN);
                }
                // Time to target: an epoch run unthrottled (warm) counts as the steady epochs' mean.
                double toTarget = Double.NaN, elapsed = 0, steadyEpoch = seconds / steady.size();
                for (int i = 0; i < epochs.size(); i++) {
                    JsonNode e = epochs.get(i);
                    elapsed += i < unthrottled ? steadyEpoch : e.get("epoch_seconds").asDouble();
                    if (e.get("test_accuracy").asDouble() >= TARGET) {
                        toTarget = elapsed;
                        break;
                    }
                }
                // The driver's link is counted from the end of the unthrottled epochs: per step of the epochs after them. Runs
                // before driver_bytes_while was written counted to the process's end and divided by every epoch's steps.
                boolean whileTraining = lab.has("driver_bytes_while");
                int countedSteps = epochs.stream().skip(whileTraining ? unthrottled : 0).mapToInt(e -> e.get("steps").asInt()).sum();
                Run r = new Run(lab.get("workload").asText(), lab.get("hosts").asInt(), examples / seconds, toTarget, 1000 * seconds / steps,
                        1000 * compute / steps, 1000 * (gradient - compute) / steps, 1000 * update / steps,
                        (lab.get("driver_rx_bytes").asDouble() + lab.get("driver_tx_bytes").asDouble()) / countedSteps,
                        summary.get("model_sha256").asText().substring(0, 12), summary.get("test_accuracy").asDouble(),
                        summary.get("sync").asText(), summary.path("partitions").asInt(), summary.get("config").get("shards").asInt(), Cpu.read(run));
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
                if (r.cpu() != null) {
                    // Cores times the step: the CPU a step costs, in full-core milliseconds.
                    ObjectNode cpu = row.putObject("cpu_ms_per_step_per_worker_host");
                    r.cpu().workerCores().forEach((k, v) -> cpu.put(k, v * r.stepMs()));
                    row.put("driver_cpu_ms_per_step", r.cpu().driverCores() * r.stepMs()).put("worker_throttled_share", r.cpu().throttledShare());
                }
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
        System.out.printf("%nwhere a worker host's CPU went, full-core ms per step (mean over the worker hosts; the driver's host beside):%n");
        System.out.printf("%-13s %5s %8s %8s %8s %8s %8s %8s %10s %9s%n", "workload", "hosts", "task", "exchange", "jit", "gc", "other", "total",
                "throttled", "driver");
        for (Map.Entry<String, TreeMap<Integer, Run>> w : byWorkload.entrySet()) {
            for (Run r : w.getValue().values()) {
                if (r.cpu() == null) continue;
                Map<String, Double> c = r.cpu().workerCores();
                double total = c.values().stream().mapToDouble(Double::doubleValue).sum();
                System.out.printf("%-13s %5d %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %9.0f%% %9.1f%n", w.getKey(), r.hosts(), c.get("task") * r.stepMs(),
                        c.get("exchange") * r.stepMs(), c.get("jit") * r.stepMs(), c.get("gc") * r.stepMs(), c.get("other") * r.stepMs(),
                        total * r.stepMs(), 100 * r.cpu().throttledShare(), r.cpu().driverCores() * r.stepMs());
            }
        }
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("lab.json").toFile(), out);
        BitmapEncoder.saveBitmap(chart, dir.resolve("lab.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("\nlab report: " + dir.resolve("lab.json") + ", " + dir.resolve("lab.png"));
    }
}
