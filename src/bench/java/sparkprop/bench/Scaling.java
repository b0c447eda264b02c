package sparkprop.bench;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import sparkprop.train.TrainConfig;

/**
 * How a step's cost grows: against the partition count (the collect path and the tree path) and
 * against the parameter count, measured on whatever context it is given (local mode, or the
 * loopback cluster); then a short model of step time fitted to those numbers and projected to
 * more executors with published per-iteration floors, and the measured curves as a PNG.
 */
final class Scaling {
    static final int[] PARTITIONS = {2, 4, 8, 16, 32};
    /** One hidden layer each, so compute per example grows with the parameters: 0.1, 0.4, 1, 2 and 4 M parameters. */
    static final String[] NETS = {"784,128,10", "784,512,10", "784,1280,10", "784,2560,10", "784,5120,10"};
    static final int STEPS = 30;

    /**
     * Drizzle (Venkataraman et al., SOSP 2017), Figure 2 and section 2.2: Spark's time per
     * iteration with nothing to compute, measured on 4, 32 and 128 machines (ms). The only figures
     * here not measured on this machine.
     */
    static final int[] FLOOR_MACHINES = {4, 32, 128};
    static final double[] FLOOR_MS = {15, 55, 195};
    /** Assumed for the projection: a 10 Gbit/s network (1.25 GB/s) into the driver. */
    static final double NETWORK_BYTES_PER_MS = 1.25e6;

    private Scaling() {
    }

    static Map<String, Object> measure(JavaSparkContext sc, sparkprop.data.Dataset dataset, String where) {
        System.out.println("\n== 2c. How a step's cost grows, " + where + " (" + sc.defaultParallelism() + " cores; medians of " + STEPS + " steps, batch 512)");
        TrainConfig defaults = TrainConfig.defaults();
        List<Map<String, Object>> byPartitions = new ArrayList<>();
        System.out.printf("%-11s %10s %-8s %8s %11s %12s%n", "net", "partitions", "path", "step ms", "compute ms", "empty job ms");
        for (int p : PARTITIONS) {
            for (boolean tree : new boolean[]{false, true}) {
                Map<String, Object> row = Bench.stepOverhead(sc, dataset, defaults.with("shards", "32"), p, tree, false, STEPS);
                System.out.printf("%-11s %10d %-8s %8.1f %11.1f %12.1f%n", row.get("net"), p, row.get("aggregation"), row.get("step_ms"),
                        row.get("compute_ms"), row.get("empty_job_ms"));
                byPartitions.add(row);
            }
        }
        List<Map<String, Object>> byParameters = new ArrayList<>();
        System.out.printf("%-11s %10s %8s %11s %12s %12s%n", "net", "parameters", "step ms", "compute ms", "overhead ms", "empty job ms");
        for (String layers : NETS) {
            Map<String, Object> row = Bench.stepOverhead(sc, dataset, defaults.with("layers", layers), 0, false, false, STEPS);
            System.out.printf("%-11s %10d %8.1f %11.1f %12.1f %12.1f%n", row.get("net"), row.get("parameters"), row.get("step_ms"),
                    row.get("compute_ms"), row.get("overhead_ms"), row.get("empty_job_ms"));
            byParameters.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("where", where);
        out.put("cores", sc.defaultParallelism());
        out.put("by_partitions", byPartitions);
        out.put("by_parameters", byParameters);
        return out;
    }

    /** Spark's per-iteration floor for {@code machines}, interpolated linearly between the published points (held flat below 4). */
    static double floorMs(int machines) {
        if (machines <= FLOOR_MACHINES[0]) return FLOOR_MS[0];
        for (int i = 1; i < FLOOR_MACHINES.length; i++) {
            if (machines <= FLOOR_MACHINES[i]) {
                double f = (double) (machines - FLOOR_MACHINES[i - 1]) / (FLOOR_MACHINES[i] - FLOOR_MACHINES[i - 1]);
                return FLOOR_MS[i - 1] + f * (FLOOR_MS[i] - FLOOR_MS[i - 1]);
            }
        }
        return FLOOR_MS[FLOOR_MS.length - 1];
    }

    /**
     * The model: step(E) = floor(E) + compute / E + sums into the driver. With E executors of
     * one core each, compute is this machine's one-core time for the batch (measured, scaled
     * linearly with the batch), the driver receives E packed sums (about 4 bytes a parameter)
     * with collect, each crossing the network and decoded at the measured local rate. The tree
     * sends about sqrt(E) sums to the driver but adds a shuffle stage, counted as a second floor
     * (measured locally, the tree's extra stage cost more than an empty job at every partition
     * count). Prints step and epoch times for MNIST (60 000 examples).
     */
    static Map<String, Object> project(Map<String, Object> local) {
        System.out.println("\n== 2d. Projected step and epoch time on more executors (model, not measured: see the README's Performance section)");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> byParameters = (List<Map<String, Object>>) local.get("by_parameters");
        int cores = (int) local.get("cores");
        List<Map<String, Object>> rows = new ArrayList<>();
        System.out.printf("%-11s %6s %9s %9s | %s%n", "net", "batch", "1 core ms", "2 local", "projected step ms (epoch s), collect / tree: 8, 32, 128 executors");
        for (Map<String, Object> measured : byParameters) {
            int parameters = (int) measured.get("parameters");
            // The slowest of `cores` partitions, so one core alone would take `cores` times as long.
            double oneCore512 = cores * (double) measured.get("compute_ms");
            double decodeMsPerPart = decodeMsPerPart(measured);
            for (int batch : new int[]{512, 8192}) {
                double oneCore = oneCore512 * batch / 512.0;
                StringBuilder line = new StringBuilder(String.format("%-11s %6d %9.1f %9.1f |", measured.get("net"), batch, oneCore,
                        batch == 512 ? (double) measured.get("step_ms") : Double.NaN));
                int steps = 60000 / batch;
                for (int executors : new int[]{8, 32, 128}) {
                    double[] step = new double[2];
                    for (int t = 0; t < 2; t++) {
                        int parts = t == 0 ? executors : (int) Math.ceil(Math.sqrt(executors));
                        step[t] = (t == 0 ? 1 : 2) * floorMs(executors) + oneCore / executors
                                + parts * (4.0 * parameters / NETWORK_BYTES_PER_MS + decodeMsPerPart);
                    }
                    line.append(String.format(" %4.0f/%4.0f (%5.1f/%5.1f)", step[0], step[1], steps * step[0] / 1e3, steps * step[1] / 1e3));
                    rows.add(Map.of("net", measured.get("net"), "parameters", parameters, "batch", batch, "executors", executors,
                            "one_core_compute_ms", oneCore, "step_ms_collect", step[0], "step_ms_tree", step[1], "epoch_s_collect", steps * step[0] / 1e3,
                            "epoch_s_tree", steps * step[1] / 1e3));
                }
                System.out.println(line);
            }
        }
        return Map.of("floor_ms_published", Map.of("4", 15, "32", 55, "128", 195), "network_bytes_per_ms", NETWORK_BYTES_PER_MS, "rows", rows);
    }

    /** The driver's time to add and divide one more packed sum of this net's size, measured here on gradient-like values (median ms). */
    static double decodeMsPerPart(Map<String, Object> measured) {
        int n = (int) measured.get("parameters");
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        float[] shard = new float[n];
        for (int i = 0; i < n; i++) shard[i] = (float) (random.nextGaussian() * 1e-3);
        sparkprop.train.GradientSum sum = new sparkprop.train.GradientSum(n);
        sum.addShard(shard, 1.0, 128);
        byte[] packed = sparkprop.train.PackedSum.encode(sum);
        float[] out = new float[n];
        double[] perPart = new double[15];
        for (int i = 0; i < perPart.length + 5; i++) {
            long t = System.nanoTime();
            sparkprop.train.PackedSum.meanOf(List.of(packed, packed, packed, packed), out, 512);
            if (i >= 5) perPart[i - 5] = (System.nanoTime() - t) / 1e6 / 4;
        }
        return Bench.median(perPart);
    }

    /** scaling.png: step time against partitions (both paths) and against parameters, for each context measured. */
    static void png(List<Map<String, Object>> measured, Path file) throws java.io.IOException {
        XYChart partitions = chart("Step time against partitions (784-256-10, batch 512)", "partitions", true);
        XYChart parameters = chart("Step time against parameters (batch 512)", "parameters (millions)", false);
        for (Map<String, Object> m : measured) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> byPartitions = (List<Map<String, Object>>) m.get("by_partitions");
            for (String path : new String[]{"collect", "tree"}) {
                List<Double> x = new ArrayList<>(), y = new ArrayList<>();
                for (Map<String, Object> row : byPartitions) {
                    if (!row.get("aggregation").equals(path)) continue;
                    x.add(((Number) row.get("partitions")).doubleValue());
                    y.add((Double) row.get("step_ms"));
                }
                partitions.addSeries(m.get("where") + ", " + path, x, y).setMarker(SeriesMarkers.CIRCLE);
            }
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> byParameters = (List<Map<String, Object>>) m.get("by_parameters");
            List<Double> x = new ArrayList<>(), step = new ArrayList<>(), compute = new ArrayList<>();
            for (Map<String, Object> row : byParameters) {
                x.add(((Number) row.get("parameters")).doubleValue() / 1e6);
                step.add((Double) row.get("step_ms"));
                compute.add((Double) row.get("compute_ms"));
            }
            parameters.addSeries(m.get("where") + ", step", x, step).setMarker(SeriesMarkers.CIRCLE);
            parameters.addSeries(m.get("where") + ", compute alone", x, compute).setMarker(SeriesMarkers.DIAMOND);
        }
        javax.imageio.ImageIO.write(sparkprop.eval.TrainingCurves.sideBySide(partitions, parameters), "png", file.toFile());
        System.out.println("written: " + file);
    }

    private static XYChart chart(String title, String xTitle, boolean logX) {
        XYChart chart = new XYChartBuilder().width(640).height(460).title(title).xAxisTitle(xTitle).yAxisTitle("ms a step").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        return chart;
    }
}
