package sparkprop.bench;

import sparkprop.shards.ShardLayout;
import sparkprop.shards.ShardBlock;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ludovic.netlib.blas.BLAS;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.RDDInfo;
import sparkprop.core.Activation;
import sparkprop.core.Backprop;
import sparkprop.core.Initializer;
import sparkprop.core.Loss;
import sparkprop.core.NetworkSpec;
import sparkprop.data.Examples;
import sparkprop.train.EpochMetrics;
import sparkprop.train.ShardWork;
import sparkprop.train.StepPlan;
import sparkprop.train.TrainConfig;
import sparkprop.train.Trainer;
import sparkprop.train.TrainingListener;
import sparkprop.train.BenchAccess;

/**
 * scripts/bench: numbers, not a test. Prints tables and writes bench.json. Run on an otherwise
 * idle machine; figures vary ±30% run to run on shared machines, so compare within one run.
 * Usage: Bench DATA_DIR OUT_JSON [--seeds N] [--mllib-iterations 25,50,100] [--ours-epochs 2,4,8] [--skip-mllib] [--core-only]
 * [--dataframe-only]
 */
public final class Bench {
    private static final Map<String, Object> RESULTS = new LinkedHashMap<>();

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        String data = args[0];
        Path out = Path.of(args[1]);
        int seeds = intOption(args, "--seeds", 3);
        boolean mllib = !Arrays.asList(args).contains("--skip-mllib");
        String mllibIterations = stringOption(args, "--mllib-iterations", "25,50,100,150");
        RESULTS.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(), "java", System.getProperty("java.version"),
                "openblas_threads", String.valueOf(System.getenv("OPENBLAS_NUM_THREADS"))));

        if (Arrays.asList(args).contains("--project-only")) {
            // The projection again from the measured growth a full run wrote (a model of those numbers; nothing new is measured but decoding).
            RESULTS.putAll(new ObjectMapper().readValue(out.toFile(), Map.class));
            RESULTS.put("projection", Scaling.project((Map<String, Object>) RESULTS.get("scaling_local")));
            write(out);
            return;
        }
        if (Arrays.asList(args).contains("--sync-only") && !stringOption(args, "--master", "").isEmpty()) {
            // 6a on a cluster (scripts/bench --sync-only --master spark://... --jars ...): the step overhead over real sockets.
            SparkConf conf = localConf().setMaster(stringOption(args, "--master", "")).set("spark.executor.memory", "2g")
                    .set("spark.driver.host", "127.0.0.1");
            if (!stringOption(args, "--jars", "").isEmpty()) conf.setJars(stringOption(args, "--jars", "").split(","));
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                sc.setLogLevel("ERROR");
                if (Files.exists(out)) RESULTS.putAll(new ObjectMapper().readValue(out.toFile(), Map.class));
                RESULTS.put("step_overhead_cluster", stepOverheadByMode(sc, sparkprop.data.Dataset.open(data, new Configuration()), "loopback cluster"));
            }
            write(out);
            return;
        }
        if (Arrays.asList(args).contains("--scaling-only")) {
            scalingOnCluster(sparkprop.data.Dataset.open(data, new Configuration()), stringOption(args, "--master", "local[2]"),
                    stringOption(args, "--jars", ""), out);
            return;
        }
        coreThroughput();
        if (Arrays.asList(args).contains("--core-only")) {
            write(out);
            return;
        }
        sparkprop.data.Dataset dataset = sparkprop.data.Dataset.open(data, new Configuration());
        if (!Arrays.asList(args).contains("--dataframe-only")) augmentation(dataset);
        try (JavaSparkContext sc = new JavaSparkContext(localConf())) {
            sc.setLogLevel("ERROR");
            if (Arrays.asList(args).contains("--sync-only")) {
                syncModes(sc, dataset, seeds);
                write(out);
                return;
            }
            if (Arrays.asList(args).contains("--step-only")) {
                stepOverheadAndMemory(sc, dataset, data);
            } else if (!Arrays.asList(args).contains("--dataframe-only")) {
                stepOverheadAndMemory(sc, dataset, data);
                scaling(sc, dataset, out);
                timeToAccuracy(sc, dataset, data, seeds);
            }
            if (mllib) mllib(sc, dataset, mllibIterations, stringOption(args, "--ours-epochs", "2,4,8"));
        }
        // After a context has warmed the JVM up: the first context of a JVM runs its steps up to 2x slower.
        if (!Arrays.asList(args).contains("--dataframe-only") && !Arrays.asList(args).contains("--no-levers")) stepLevers(dataset);
        write(out);
    }

    /** 2c and 2d on local[2]: growth with partitions and parameters, the projection, and scaling.png. */
    static void scaling(JavaSparkContext sc, sparkprop.data.Dataset dataset, Path out) throws java.io.IOException {
        Map<String, Object> local = Scaling.measure(sc, dataset, "local[2]");
        RESULTS.put("scaling_local", local);
        RESULTS.put("projection", Scaling.project(local));
        Scaling.png(List.of(local), out.resolveSibling("scaling.png"));
    }

    /**
     * The same growth measured on a loopback standalone cluster (scripts/bench starts it), merged
     * into the JSON the local run wrote, with scaling.png redrawn from both.
     */
    @SuppressWarnings("unchecked")
    static void scalingOnCluster(sparkprop.data.Dataset dataset, String master, String jars, Path out) throws java.io.IOException {
        SparkConf conf = localConf().setMaster(master).set("spark.executor.memory", "2g").set("spark.driver.host", "127.0.0.1");
        if (!jars.isEmpty()) conf.setJars(jars.split(","));
        Map<String, Object> cluster;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("ERROR");
            cluster = Scaling.measure(sc, dataset, "loopback cluster");
        }
        if (Files.exists(out)) RESULTS.putAll(new ObjectMapper().readValue(out.toFile(), Map.class));
        RESULTS.put("scaling_cluster", cluster);
        List<Map<String, Object>> both = new ArrayList<>();
        if (RESULTS.get("scaling_local") instanceof Map<?, ?> local) both.add((Map<String, Object>) local);
        both.add(cluster);
        Scaling.png(both, out.resolveSibling("scaling.png"));
        write(out);
    }

    static void write(Path out) throws java.io.IOException {
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(out, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(RESULTS));
        System.out.println("\nwritten: " + out);
    }

    // --- 1. core throughput per backend ------------------------------------------------------

    static Map<String, BLAS> backends() {
        // Unpack and hand netlib the OpenBLAS the jar carries first: netlib looks for a native library once per
        // JVM, and asking it here before would leave the whole benchmark (Spark steps included) on the Vector API.
        sparkprop.core.Blas.get();
        Map<String, BLAS> b = new LinkedHashMap<>();
        try {
            b.put("native", dev.ludovic.netlib.blas.NativeBLAS.getInstance());
        } catch (Throwable e) {
            System.out.println("native BLAS not available: " + e.getMessage());
        }
        for (String[] c : new String[][]{{"vector", "dev.ludovic.netlib.blas.VectorBLAS"}, {"java", "dev.ludovic.netlib.blas.Java11BLAS"}}) {
            try {
                java.lang.reflect.Method m = Class.forName(c[1]).getMethod("getInstance");
                m.setAccessible(true);
                BLAS blas = (BLAS) m.invoke(null);
                if (c[0].equals("vector") && !blas.getClass().getSimpleName().contains("Vector")) continue;
                b.put(c[0], blas);
            } catch (Throwable e) {
                System.out.println(c[0] + " BLAS not available: " + e);
            }
        }
        return b;
    }

    static void coreThroughput() {
        System.out.println("\n== 1. Core forward+backward, one thread (samples/s, GFLOPS; bound = the same three sgemm per layer alone)");
        System.out.printf("%-8s %-12s %6s %12s %9s %12s %8s%n", "backend", "net", "batch", "samples/s", "GFLOPS", "sgemm GFLOPS", "of bound");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<String, BLAS> backend : backends().entrySet()) {
            for (int[] sizes : new int[][]{{784, 100, 10}, {784, 256, 10}, {784, 800, 10}}) {
                for (int batch : new int[]{128, 512}) {
                    NetworkSpec spec = NetworkSpec.of(sizes, Activation.RELU, Loss.CE);
                    double flopsPerSample = 6.0 * spec.multiplyAddsPerExample();
                    double seconds = timeKernel(spec, batch, backend.getValue());
                    double bound = timeSgemmOnly(spec, batch, backend.getValue());
                    double gflops = flopsPerSample * batch / seconds / 1e9, boundGflops = flopsPerSample * batch / bound / 1e9;
                    System.out.printf("%-8s %-12s %6d %,12.0f %9.1f %12.1f %7.0f%%%n", backend.getKey(), spec.describeSizes(), batch,
                            batch / seconds, gflops, boundGflops, 100 * gflops / boundGflops);
                    rows.add(Map.of("backend", backend.getKey(), "net", spec.describeSizes(), "batch", batch, "samples_per_second", batch / seconds,
                            "gflops", gflops, "sgemm_bound_gflops", boundGflops));
                }
            }
        }
        RESULTS.put("core_throughput", rows);
    }

    /**
     * 1b. What --augment costs per example, one thread, on real MNIST digits, against the forward
     * and backward pass of 784-800-10 (native BLAS, batch 512) it precedes.
     */
    static void augmentation(sparkprop.data.Dataset dataset) throws Exception {
        System.out.println("\n== 1b. --augment, one thread: microseconds per 28x28 example (against 784-800-10 forward+backward)");
        Examples digits = dataset.train().read(new Configuration(), 0, 512);
        float[] x = new float[512 * 784];
        int[] y = new int[512];
        digits.toInputs(0, 512, x, y);
        NetworkSpec spec = NetworkSpec.of(new int[]{784, 800, 10}, Activation.RELU, Loss.CE);
        double passUs = 1e6 * timeKernel(spec, 512, sparkprop.core.Blas.get()) / 512;
        System.out.printf("forward+backward of 784-800-10: %.1f us an example%n", passUs);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String spec2 : new String[]{"shift=2", "rotate=10", "scale=0.1", "shear=10", "elastic-alpha=34,elastic-sigma=4",
                "shift=2,rotate=10,scale=0.1,shear=10,elastic-alpha=34,elastic-sigma=4"}) {
            sparkprop.core.Augment augment = sparkprop.core.Augment.parse(spec2);
            sparkprop.core.Augment.Scratch scratch = new sparkprop.core.Augment.Scratch(28);
            float[] work = x.clone();
            long[] seed = {0};
            double seconds = medianSeconds(() -> {
                for (int j = 0; j < 512; j++) augment.apply(work, j * 784, scratch, seed[0]++);
            }, 2.0);
            double us = 1e6 * seconds / 512;
            System.out.printf("%-62s %7.1f us an example (%5.0f examples/s), %.2fx the pass%n", spec2, us, 1e6 / us, us / passUs);
            rows.add(Map.of("augment", spec2, "us_per_example", us, "examples_per_second", 1e6 / us, "over_forward_backward_784_800_10", us / passUs));
        }
        RESULTS.put("augmentation", Map.of("forward_backward_784_800_10_us", passUs, "transforms", rows));
    }

    /** Median seconds of one forward+backward step. */
    static double timeKernel(NetworkSpec spec, int batch, BLAS blas) {
        Backprop kernel = new Backprop(spec, blas);
        float[] params = new float[spec.parameterCount()], grad = new float[params.length], x = new float[spec.inputSize() * batch];
        Initializer.HE.initialize(spec, params, 1, 0);
        for (int i = 0; i < x.length; i++) x[i] = (i % 7) / 7f;
        int[] y = new int[batch];
        for (int j = 0; j < batch; j++) y[j] = j % 10;
        return medianSeconds(() -> kernel.lossAndGradient(params, x, y, batch, grad), 0.6);
    }

    /** Median seconds of only the sgemm calls a step makes (forward, dW, and dA for hidden layers). */
    static double timeSgemmOnly(NetworkSpec spec, int batch, BLAS blas) {
        int widest = Arrays.stream(spec.sizes()).max().orElse(1);
        float[] w = new float[spec.parameterCount()], a = new float[widest * batch], b = new float[widest * batch], c = new float[widest * batch];
        return medianSeconds(() -> {
            for (int l = 0; l < spec.layerCount(); l++) {
                int in = spec.in(l), out = spec.out(l);
                blas.sgemm("N", "N", out, batch, in, 1f, w, spec.weightOffset(l), out, a, 0, in, 1f, c, 0, out);
                blas.sgemm("N", "T", out, in, batch, 1f, c, 0, out, a, 0, in, 0f, w, spec.weightOffset(l), out);
                if (l > 0) blas.sgemm("T", "N", in, batch, out, 1f, w, spec.weightOffset(l), out, c, 0, out, 0f, b, 0, in);
            }
        }, 0.6);
    }

    static double medianSeconds(Runnable work, double budgetSeconds) {
        // Warm up for a fixed time, not a count: the Vector API backend needs C2 to compile it first.
        long warm = System.nanoTime();
        while (System.nanoTime() - warm < 400_000_000L) work.run();
        List<Double> times = new ArrayList<>();
        long start = System.nanoTime();
        while (times.size() < 7 || (System.nanoTime() - start) / 1e9 < budgetSeconds && times.size() < 2000) {
            long t = System.nanoTime();
            work.run();
            times.add((System.nanoTime() - t) / 1e9);
        }
        times.sort(null);
        return times.get(times.size() / 2);
    }

    // --- 2 and 4. step overhead and cached-data size ------------------------------------------

    static void stepOverheadAndMemory(JavaSparkContext sc, sparkprop.data.Dataset dataset, String data) {
        TrainConfig config = TrainConfig.defaults();
        // The default net is the target's; the others show what the parameter size (0.3 to 2.5 MB) costs.
        List<Map<String, Object>> byNet = new ArrayList<>();
        for (String layers : new String[]{config.toMap().get("layers"), "784,100,10", "784,800,10"}) {
            Map<String, Object> row = stepOverhead(sc, dataset, config.with("layers", layers));
            if (byNet.isEmpty()) RESULTS.put("step_overhead", row);
            byNet.add(row);
        }
        RESULTS.put("step_overhead_by_net", byNet);
        Trainer trainer = new Trainer(sc, dataset, config);
        long raw = (long) dataset.train().count() * dataset.width() + dataset.train().count();
        long cached = 0;
        for (RDDInfo info : sc.sc().getRDDStorageInfo()) if (info.name() != null && info.name().contains("train")) cached += info.memSize();
        System.out.println("\n== 4. Memory held by the cached training set");
        System.out.printf("cached %,d bytes vs raw uint8 %,d bytes = %.3fx%n", cached, raw, (double) cached / raw);
        RESULTS.put("cached_training_set", Map.of("cached_bytes", cached, "raw_bytes", raw, "ratio", (double) cached / raw));
    }

    /**
     * Median step, compute and empty-job times for one net, each measured back to back as the
     * training loop runs them (60 of each, after 10 of warm-up), and where the step's time goes.
     */
    static Map<String, Object> stepOverhead(JavaSparkContext sc, sparkprop.data.Dataset dataset, TrainConfig config) {
        return stepOverhead(sc, dataset, config, 0, false, true);
    }

    static Map<String, Object> stepOverhead(JavaSparkContext sc, sparkprop.data.Dataset dataset, TrainConfig config, int partitions, boolean tree,
                                            boolean print) {
        return stepOverhead(sc, dataset, config, partitions, tree, print, 60);
    }

    static Map<String, Object> stepOverhead(JavaSparkContext sc, sparkprop.data.Dataset dataset, TrainConfig config, int partitions, boolean tree,
                                            boolean print, int steps) {
        Trainer trainer = new Trainer(sc, dataset, config, partitions);
        float[] params = trainer.initialState().params();
        float[] gradient = new float[params.length];
        ShardLayout layout = trainer.layout();
        double[] step = new double[steps], compute = new double[steps], empty = new double[steps];
        for (int i = 0; i < steps + 10; i++) {
            StepPlan plan = new StepPlan(1, 0, 0, i % trainer.stepsPerEpoch(), config.batchSize(), layout);
            long t = System.nanoTime();
            BenchAccess.step(trainer, params, gradient, plan, tree);
            if (i >= 10) step[i - 10] = (System.nanoTime() - t) / 1e9;
        }
        // Compute alone: each partition's shards in one thread; partitions run side by side in a step.
        List<ShardBlock> local = BenchAccess.blocks(trainer);
        for (int i = 0; i < steps + 10; i++) {
            StepPlan plan = new StepPlan(1, 0, 0, i % trainer.stepsPerEpoch(), config.batchSize(), layout);
            double slowest = 0;
            for (int p = 0; p < layout.partitions(); p++) {
                int first = layout.firstShard(p), end = layout.endShard(p);
                List<ShardBlock> mine = local.stream().filter(b -> b.shard() >= first && b.shard() < end).toList();
                long c = System.nanoTime();
                ShardWork.stepGradient(trainer.spec(), params, mine.iterator(), plan);
                slowest = Math.max(slowest, (System.nanoTime() - c) / 1e9);
            }
            if (i >= 10) compute[i - 10] = slowest;
        }
        // An empty job over as many partitions: Spark's own floor for a step.
        int parts = layout.partitions();
        List<Integer> ids = new ArrayList<>();
        for (int p = 0; p < parts; p++) ids.add(p);
        for (int i = 0; i < steps + 10; i++) {
            long e = System.nanoTime();
            sc.parallelize(ids, parts).foreachPartition(it -> { });
            if (i >= 10) empty[i - 10] = (System.nanoTime() - e) / 1e9;
        }
        Map<String, Double> phases = print ? sparkprop.train.StepPhases.measure(sc, trainer, steps) : Map.of();

        trainer.release();
        double stepMedian = median(step), computeMedian = median(compute), emptyMedian = median(empty);
        double overhead = stepMedian - computeMedian;
        if (print) {
            System.out.println("\n== 2. Step overhead, local[2], " + trainer.spec() + " (" + trainer.spec().parameterCount() + " parameters), batch "
                    + config.batchSize() + " (medians of " + steps + ")");
            System.out.printf("step %.1f ms = compute %.1f ms + overhead %.1f ms; empty Spark job %.1f ms; overhead / empty job = %.2fx%n",
                    1e3 * stepMedian, 1e3 * computeMedian, 1e3 * overhead, 1e3 * emptyMedian, overhead / emptyMedian);
            System.out.printf("where a step goes: broadcast %.1f ms, job %.1f ms (tasks: deserialize %.1f, run %.1f, outside %.1f), decode %.1f ms, destroy %.1f ms%n",
                    phases.get("broadcast_ms"), phases.get("job_ms"), phases.get("task_deserialize_ms"), phases.get("task_run_ms"),
                    phases.get("task_outside_ms"), phases.get("decode_ms"), phases.get("destroy_ms"));
            double[] emptyPhases = sparkprop.train.StepPhases.emptyJob(sc, parts, steps);
            System.out.printf("an empty job: %.1f ms, its tasks launch to finish %.1f ms; the step's tasks: %.1f ms%n", emptyPhases[0], emptyPhases[1],
                    phases.get("task_total_ms"));
            phases = new LinkedHashMap<>(phases);
            phases.put("empty_job_task_total_ms", emptyPhases[1]);
        }
        Map<String, Object> row = new LinkedHashMap<>(Map.of("net", trainer.spec().describeSizes(), "parameters", trainer.spec().parameterCount(),
                "batch", config.batchSize(), "partitions", parts, "aggregation", tree ? "tree" : "collect", "step_ms", 1e3 * stepMedian,
                "compute_ms", 1e3 * computeMedian, "overhead_ms", 1e3 * overhead, "empty_job_ms", 1e3 * emptyMedian,
                "overhead_over_empty_job", overhead / emptyMedian));
        if (print) row.put("phases_ms", phases);
        return row;
    }

    /**
     * 2b. Each Spark setting the step might be sensitive to, alone, in a fresh local[2] context:
     * the step overhead against an empty job for the default net and 784-800-10.
     */
    static void stepLevers(sparkprop.data.Dataset dataset) {
        System.out.println("\n== 2b. Spark settings against the step overhead (each alone, fresh local[2] context; overhead / empty job)");
        String[][] levers = {{"as shipped (Trainer.tune)"}, {"spark.broadcast.compress", "false"}, {"spark.locality.wait", "0s"},
                {"spark.serializer", "org.apache.spark.serializer.KryoSerializer"}, {"spark.task.maxDirectResultSize", "1m"}};
        List<Map<String, Object>> rows = new ArrayList<>();
        System.out.printf("%-62s %-11s %8s %12s %13s %7s%n", "setting", "net", "step ms", "overhead ms", "empty job ms", "ratio");
        for (String[] lever : levers) {
            SparkConf conf = localConf();
            if (lever.length == 2) conf.set(lever[0], lever[1]);
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                sc.setLogLevel("ERROR");
                for (String layers : new String[]{TrainConfig.defaults().toMap().get("layers"), "784,800,10"}) {
                    Map<String, Object> row = stepOverhead(sc, dataset, TrainConfig.defaults().with("layers", layers), 0, false, false);
                    String name = lever.length == 2 ? lever[0] + "=" + lever[1] : lever[0];
                    System.out.printf("%-62s %-11s %8.1f %12.1f %13.1f %6.2fx%n", name, row.get("net"), row.get("step_ms"), row.get("overhead_ms"),
                            row.get("empty_job_ms"), row.get("overhead_over_empty_job"));
                    row.put("setting", name);
                    rows.add(row);
                }
            }
        }
        // Contexts differ by more than some levers do, so the two measurable in one context are also interleaved step by step.
        try (JavaSparkContext sc = new JavaSparkContext(localConf())) {
            sc.setLogLevel("ERROR");
            for (String layers : new String[]{TrainConfig.defaults().toMap().get("layers"), "784,800,10"}) {
                Trainer trainer = new Trainer(sc, dataset, TrainConfig.defaults().with("layers", layers));
                double[] onOff = sparkprop.train.StepPhases.compressionOnOff(sc, trainer, 60);
                Map<String, Double> broadcast = sparkprop.train.StepPhases.measure(sc, trainer, 60, false);
                Map<String, Double> closure = sparkprop.train.StepPhases.measure(sc, trainer, 60, true);
                System.out.printf("%s, one context: broadcast compressed %.1f ms vs uncompressed %.1f ms a step (interleaved); parameters in a broadcast"
                        + " %.1f ms vs inside the task closure %.1f ms%n", trainer.spec().describeSizes(), onOff[0], onOff[1], broadcast.get("step_ms"),
                        closure.get("step_ms"));
                rows.add(Map.of("net", trainer.spec().describeSizes(), "setting", "interleaved in one context", "compressed_step_ms", onOff[0],
                        "uncompressed_step_ms", onOff[1], "broadcast_step_ms", broadcast.get("step_ms"), "closure_step_ms", closure.get("step_ms")));
                trainer.release();
            }
        }
        RESULTS.put("step_levers", rows);
    }

    static SparkConf localConf() {
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("sparkprop bench").set("spark.ui.enabled", "false")
                .set("spark.driver.memory", "6g");
        Trainer.tune(conf); // the same Spark settings as scripts/train
        return conf;
    }


    // --- 6. the stage against a job per step ------------------------------------------------------

    /**
     * 6. The two ways steps reach the executors, side by side on local[2]: the step overhead of each
     * (step time minus the slowest task's compute, which the stage's tasks report; a job per step
     * computes the same work, so its overhead is taken against the stage's compute), and time to
     * 97% / 98% with the defaults against the plain loop on one thread, with the first epoch apart.
     */
    static void syncModes(JavaSparkContext sc, sparkprop.data.Dataset dataset, int seeds) throws Exception {
        List<Map<String, Object>> overheads = stepOverheadByMode(sc, dataset, "local[2]");
        syncTimeToAccuracy(sc, dataset, seeds, overheads);
    }

    /** 6a. Each mode's step overhead on {@code where}, 2 partitions. */
    static List<Map<String, Object>> stepOverheadByMode(JavaSparkContext sc, sparkprop.data.Dataset dataset, String where) {
        System.out.println("\n== 6a. Step overhead, " + where + ", batch 512, 2 partitions (ms: median step, a task's mean compute, overhead)");
        List<Map<String, Object>> overheads = new ArrayList<>();
        for (String layers : new String[]{"784,256,10", "784,800,10"}) {
            TrainConfig config = TrainConfig.defaults().with("layers", layers);
            Trainer trainer = new Trainer(sc, dataset, config, 2);
            float[] params = trainer.initialState().params();
            float[] gradient = new float[params.length];
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("net", layers);
            double stageCompute = Double.NaN;
            for (sparkprop.train.Sync mode : new sparkprop.train.Sync[]{sparkprop.train.Sync.STAGE, sparkprop.train.Sync.JOBS}) {
                List<Double> steps = new ArrayList<>();
                double computeMs;
                try (BenchAccess.Steps source = BenchAccess.steps(trainer, mode)) {
                    for (int k = 0; k < 100; k++) {
                        StepPlan plan = new StepPlan(config.seed(), 0, 0, k % trainer.stepsPerEpoch(), config.batchSize(), trainer.layout());
                        long t = System.nanoTime();
                        source.step(params, plan, gradient);
                        double ms = (System.nanoTime() - t) / 1e6;
                        if (k < 20) continue; // warm-up
                        steps.add(ms);
                    }
                    // A task's compute, the mean over the 100 steps and the tasks (the stage's tasks report it as they end).
                    computeMs = 1000 * source.computeSeconds() / 100;
                }
                double step = median(steps.stream().mapToDouble(Double::doubleValue).toArray());
                if (mode == sparkprop.train.Sync.STAGE) {
                    stageCompute = computeMs;
                    row.put("stage_step_ms", step);
                    row.put("stage_compute_ms", stageCompute);
                    row.put("stage_overhead_ms", step - stageCompute);
                    System.out.printf("%-12s stage: %6.2f  %6.2f  %6.2f%n", layers, step, stageCompute, step - stageCompute);
                } else {
                    row.put("jobs_step_ms", step);
                    row.put("jobs_overhead_ms", step - stageCompute);
                    System.out.printf("%-12s jobs:  %6.2f  %6.2f  %6.2f (against the stage's compute)%n", layers, step, stageCompute, step - stageCompute);
                }
            }
            trainer.release();
            overheads.add(row);
        }
        return overheads;
    }

    /** 6b-6d. */
    static void syncTimeToAccuracy(JavaSparkContext sc, sparkprop.data.Dataset dataset, int seeds, List<Map<String, Object>> overheads)
            throws Exception {

        System.out.println("\n== 6b. Time to 97% / 98%, defaults, local[2]: the stage, a job per step, the plain loop on one thread");
        List<Map<String, Object>> runs = new ArrayList<>();
        List<double[]> stage = new ArrayList<>(), jobs = new ArrayList<>(), plain = new ArrayList<>();
        List<Double> firstEpochs = new ArrayList<>(), laterEpochs = new ArrayList<>();
        for (int seed = 1; seed <= seeds; seed++) {
            TrainConfig config = TrainConfig.defaults().with("seed", String.valueOf(seed));
            Trainer trainer = new Trainer(sc, dataset, config);
            sparkprop.train.TrainingResult inStage = trainer.run(trainer.initialState(), new TrainingListener() { }, config.epochs(),
                    sparkprop.train.Sync.STAGE);
            sparkprop.train.TrainingResult perJob = trainer.run(trainer.initialState(), new TrainingListener() { }, config.epochs(),
                    sparkprop.train.Sync.JOBS);
            trainer.release();
            PlainLoop loop = PlainLoop.run(dataset, config);
            double[] s = reach(inStage.history()), j = reach(perJob.history()), p = reach(loop.history);
            boolean same = Arrays.equals(inStage.model().params(), perJob.model().params()) && Arrays.equals(inStage.model().params(), loop.params);
            firstEpochs.add(inStage.history().get(0).epochSeconds());
            for (int e = 1; e < inStage.history().size(); e++) laterEpochs.add(inStage.history().get(e).epochSeconds());
            System.out.printf("seed %d: stage 97%% %s, 98%% %s; jobs 97%% %s, 98%% %s; plain 97%% %s, 98%% %s; first epoch %.2f s in the stage;"
                    + " the same bits in all three: %s%n", seed, fmt(s[0]), fmt(s[1]), fmt(j[0]), fmt(j[1]), fmt(p[0]), fmt(p[1]),
                    inStage.history().get(0).epochSeconds(), same);
            stage.add(s);
            jobs.add(j);
            plain.add(p);
            runs.add(Map.of("seed", seed, "stage_97_s", s[0], "stage_98_s", s[1], "jobs_97_s", j[0], "jobs_98_s", j[1], "plain_97_s", p[0],
                    "plain_98_s", p[1], "first_epoch_s", inStage.history().get(0).epochSeconds(), "bit_identical", same));
        }
        double s98 = medianOf(stage, 1), j98 = medianOf(jobs, 1), p98 = medianOf(plain, 1);
        double later = median(laterEpochs.stream().mapToDouble(Double::doubleValue).toArray());
        double first = median(firstEpochs.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf("median to 98%%: stage %s, jobs %s, plain %s; stage / plain %.2fx (target <= 0.8x); jobs / stage %.2fx;"
                + " first epoch %.2f s, later %.2f s%n", fmt(s98), fmt(j98), fmt(p98), s98 / p98, j98 / s98, first, later);
        System.out.println("\n== 6c. One exchange, measured: the stage's messages over a loopback socket (spark-network-common)");
        int[] widths = {128, 512, 1280, 2560, 5120};
        int[] counts = new int[widths.length];
        for (int i = 0; i < widths.length; i++) counts[i] = NetworkSpec.of(new int[]{784, widths[i], 10}, Activation.RELU, Loss.CE).parameterCount();
        Map<String, Object> exchange = sparkprop.train.ExchangeCost.measure(counts);
        RESULTS.put("exchange", exchange);
        RESULTS.put("projection_stage", projectStage(exchange, widths));
        RESULTS.put("sync_modes", Map.of("step_overhead", overheads, "runs", runs, "stage_98_s", s98, "jobs_98_s", j98, "plain_98_s", p98,
                "stage_97_s", medianOf(stage, 0), "jobs_97_s", medianOf(jobs, 0), "plain_97_s", medianOf(plain, 0),
                "first_epoch_s", first, "later_epoch_s", later));
    }

    /**
     * 6d. The stage on E executors of one core, a model of 6c's measurements (not measured): a step
     * costs the compute of batch/E examples (one core's time, measured here) plus the exchange.
     * Star: the driver sends every task the parameters and receives every task's sums over its one
     * link (10 Gbit/s assumed), one round trip of latency, and adds the E sums (6c's cost per part).
     * Binary tree (Thakur, Rabenseifner and Gropp 2005 for the family; not built yet): sums merged and
     * parameters forwarded at each of ceil(log2(E+1)) levels, one message each way a level. A job per
     * step (the earlier model): Spark's per-job floor at E machines (Drizzle, SOSP 2017) on top.
     */
    static Map<String, Object> projectStage(Map<String, Object> exchange, int[] widths) {
        System.out.println("\n== 6d. Projected step ms (epoch s) on E one-core executors: star / tree / job per step (model of 6c, not measured)");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> costs = (List<Map<String, Object>>) exchange.get("by_parameters");
        double rtt = Math.max(0.1, (double) exchange.get("tiny_round_trip_ms")); // a real network's round trip is at least ~0.1 ms
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < widths.length; i++) {
            NetworkSpec spec = NetworkSpec.of(new int[]{784, widths[i], 10}, Activation.RELU, Loss.CE);
            Map<String, Object> c = costs.get(i);
            double bytes = ((Number) c.get("sum_bytes")).doubleValue() + ((Number) c.get("param_bytes")).doubleValue();
            double add = (double) c.get("driver_add_ms_per_part"), merge = (double) c.get("merge_ms");
            double oneCore512 = 1e3 * timeKernel(spec, 512, sparkprop.core.Blas.get());
            for (int batch : new int[]{512, 8192}) {
                double oneCore = oneCore512 * batch / 512.0;
                int steps = 60000 / batch;
                StringBuilder line = new StringBuilder(String.format("%-12s %,9d %5d  1 core %7.1f ms |", spec.describeSizes(), spec.parameterCount(), batch, oneCore));
                for (int e : new int[]{8, 32, 128}) {
                    double compute = oneCore / e;
                    double star = compute + rtt + e * bytes / sparkprop.bench.Scaling.NETWORK_BYTES_PER_MS + e * add;
                    int depth = (int) Math.ceil(Math.log(e + 1) / Math.log(2));
                    double tree = compute + depth * (rtt + bytes / sparkprop.bench.Scaling.NETWORK_BYTES_PER_MS + merge) + add;
                    double jobs = sparkprop.bench.Scaling.floorMs(e) + compute + e * (4.0 * spec.parameterCount() / sparkprop.bench.Scaling.NETWORK_BYTES_PER_MS + add);
                    line.append(String.format("  %d: %5.0f/%5.0f/%5.0f (%5.1f/%5.1f/%5.1f)", e, star, tree, jobs, steps * star / 1e3, steps * tree / 1e3,
                            steps * jobs / 1e3));
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("net", spec.describeSizes());
                    row.put("parameters", spec.parameterCount());
                    row.put("batch", batch);
                    row.put("executors", e);
                    row.put("one_core_ms", oneCore);
                    row.put("star_ms", star);
                    row.put("tree_ms", tree);
                    row.put("jobs_ms", jobs);
                    rows.add(row);
                }
                System.out.println(line);
            }
        }
        return Map.of("network_bytes_per_ms", sparkprop.bench.Scaling.NETWORK_BYTES_PER_MS, "round_trip_ms", rtt, "rows", rows);
    }

    // --- 3. time to accuracy -------------------------------------------------------------------

    static void timeToAccuracy(JavaSparkContext sc, sparkprop.data.Dataset dataset, String data, int seeds) throws Exception {
        System.out.println("\n== 3. Time to 97% / 98% test accuracy (training wall time, after the context is up; per-epoch granularity)");
        List<Map<String, Object>> runs = new ArrayList<>();
        List<double[]> ours = new ArrayList<>(), plain = new ArrayList<>();
        for (int seed = 1; seed <= seeds; seed++) {
            TrainConfig config = TrainConfig.defaults().with("seed", String.valueOf(seed));
            Trainer trainer = new Trainer(sc, dataset, config);
            sparkprop.train.TrainingResult result = trainer.run(trainer.initialState(), new TrainingListener() { });
            List<EpochMetrics> history = result.history();
            double[] spark = reach(history);
            float[] sparkParams = result.model().params();
            PlainLoop loop = PlainLoop.run(dataset, config);
            double[] alone = reach(loop.history);
            boolean identical = Arrays.equals(sparkParams, loop.params);
            System.out.printf("seed %d: Spark local[2] 97%% at %s, 98%% at %s (final %.2f%%); plain loop, one thread, no Spark: 97%% at %s, 98%% at %s;"
                            + " same final parameters: %s%n", seed, fmt(spark[0]), fmt(spark[1]), 100 * history.get(history.size() - 1).testAccuracy(),
                    fmt(alone[0]), fmt(alone[1]), identical);
            ours.add(spark);
            plain.add(alone);
            runs.add(Map.of("seed", seed, "spark_97_s", spark[0], "spark_98_s", spark[1], "plain_97_s", alone[0], "plain_98_s", alone[1],
                    "final_accuracy", history.get(history.size() - 1).testAccuracy(), "bit_identical_to_plain_loop", identical));
        }
        double o97 = medianOf(ours, 0), o98 = medianOf(ours, 1), p97 = medianOf(plain, 0), p98 = medianOf(plain, 1);
        System.out.printf("median: ours 97%% %s, 98%% %s; plain loop 97%% %s, 98%% %s; ours / plain at 97%%: %.2fx%n", fmt(o97), fmt(o98),
                fmt(p97), fmt(p98), o97 / p97);
        RESULTS.put("time_to_accuracy", Map.of("runs", runs, "ours_97_s", o97, "ours_98_s", o98, "plain_97_s", p97, "plain_98_s", p98));
    }

    /** Seconds of training until the first epoch at or above 97% and 98% (infinite if never). */
    static double[] reach(List<EpochMetrics> history) {
        double[] at = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
        double t = 0;
        for (EpochMetrics m : history) {
            t += m.epochSeconds();
            if (m.testAccuracy() >= 0.97 && at[0] == Double.POSITIVE_INFINITY) at[0] = t;
            if (m.testAccuracy() >= 0.98 && at[1] == Double.POSITIVE_INFINITY) at[1] = t;
        }
        return at;
    }

    /** The same training by the core alone in one thread ({@link sparkprop.train.PlainLoop}), which must end in the same bits. */
    static final class PlainLoop {
        List<EpochMetrics> history;
        float[] params;

        static PlainLoop run(sparkprop.data.Dataset dataset, TrainConfig config) throws Exception {
            Examples all = dataset.train().read(new Configuration(), 0, dataset.train().count());
            Examples test = dataset.test().read(new Configuration(), 0, dataset.test().count());
            sparkprop.train.TrainingResult result = sparkprop.train.PlainLoop.run(config, all, test);
            PlainLoop loop = new PlainLoop();
            loop.history = result.history();
            loop.params = result.model().params();
            return loop;
        }
    }

    // --- 3b. Spark MLlib's MultilayerPerceptronClassifier --------------------------------------

    static void mllib(JavaSparkContext sc, sparkprop.data.Dataset dataset, String iterations, String ourEpochs) throws Exception {
        System.out.println("\n== 3b. Spark MLlib MultilayerPerceptronClassifier, 784-100-10 (sigmoid hidden, softmax output), l-bfgs, blockSize 128");
        SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
        Dataset<Row> train = frame(spark, dataset.train().read(new Configuration(), 0, dataset.train().count())).cache();
        Dataset<Row> test = frame(spark, dataset.test().read(new Configuration(), 0, dataset.test().count())).cache();
        train.count();
        test.count();
        List<Map<String, Object>> rows = new ArrayList<>();
        double t97 = Double.POSITIVE_INFINITY, t98 = Double.POSITIVE_INFINITY;
        for (String it : iterations.split(",")) {
            int maxIter = Integer.parseInt(it.trim());
            MultilayerPerceptronClassifier mlp = new MultilayerPerceptronClassifier().setLayers(new int[]{784, 100, 10})
                    .setBlockSize(128).setSolver("l-bfgs").setMaxIter(maxIter).setTol(1e-9).setSeed(1);
            long start = System.nanoTime();
            MultilayerPerceptronClassificationModel model = mlp.fit(train);
            double seconds = (System.nanoTime() - start) / 1e9;
            Dataset<Row> predicted = model.transform(test);
            double accuracy = predicted.filter("prediction = label").count() / (double) test.count();
            System.out.printf("maxIter %4d: %.2f%% in %.1f s%n", maxIter, 100 * accuracy, seconds);
            rows.add(Map.of("max_iter", maxIter, "seconds", seconds, "accuracy", accuracy));
            if (accuracy >= 0.97) t97 = Math.min(t97, seconds);
            if (accuracy >= 0.98) t98 = Math.min(t98, seconds);
        }
        System.out.printf("MLlib: 97%% at %s, 98%% at %s (one seed: each point is a fit from scratch)%n", fmt(t97), fmt(t98));
        RESULTS.put("mllib", Map.of("runs", rows, "mllib_97_s", t97, "mllib_98_s", t98));
        ours(train, test, ourEpochs, rows.get(rows.size() - 1));
    }

    /**
     * 3c. Ours through the same spark.ml API on the same cached DataFrames (features pixel/255, so
     * our float32 input path): {@code NeuralNetClassifier} with the CLI's defaults, one fit from
     * scratch per epoch count (each its own cosine schedule), as MLlib's points are per maxIter.
     */
    static void ours(Dataset<Row> train, Dataset<Row> test, String epochs, Map<String, Object> mllibLast) {
        System.out.println("\n== 3c. sparkprop NeuralNetClassifier on the same DataFrames, the CLI's defaults (784-256-10 relu, batch 512, momentum, cosine)");
        List<Map<String, Object>> rows = new ArrayList<>();
        double t97 = Double.POSITIVE_INFINITY, t98 = Double.POSITIVE_INFINITY, last = 0;
        for (String e : epochs.split(",")) {
            int maxIter = Integer.parseInt(e.trim());
            sparkprop.ml.NeuralNetClassifier nn = new sparkprop.ml.NeuralNetClassifier().setMaxIter(maxIter);
            long start = System.nanoTime();
            sparkprop.ml.NeuralNetClassificationModel model = nn.fit(train);
            double seconds = (System.nanoTime() - start) / 1e9;
            double accuracy = model.transform(test).filter("prediction = label").count() / (double) test.count();
            System.out.printf("maxIter (epochs) %2d: %.2f%% in %.1f s%n", maxIter, 100 * accuracy, seconds);
            rows.add(Map.of("max_iter", maxIter, "seconds", seconds, "accuracy", accuracy));
            if (accuracy >= 0.97) t97 = Math.min(t97, seconds);
            if (accuracy >= 0.98) t98 = Math.min(t98, seconds);
            last = accuracy;
        }
        System.out.printf("ours: 97%% at %s, 98%% at %s, final %.2f%%; MLlib's longest fit: %.2f%% in %.1f s%n", fmt(t97), fmt(t98), 100 * last,
                100 * (double) mllibLast.get("accuracy"), (double) mllibLast.get("seconds"));
        RESULTS.put("ours_dataframe", Map.of("runs", rows, "ours_97_s", t97, "ours_98_s", t98, "final_accuracy", last));
    }

    static Dataset<Row> frame(SparkSession spark, Examples examples) {
        List<Row> rows = new ArrayList<>(examples.count());
        for (int i = 0; i < examples.count(); i++) {
            double[] v = new double[examples.width()];
            for (int p = 0; p < v.length; p++) v[p] = (examples.pixels()[i * examples.width() + p] & 0xFF) / 255.0;
            rows.add(RowFactory.create((double) examples.label(i), Vectors.dense(v)));
        }
        StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", new VectorUDT());
        return spark.createDataFrame(rows, schema).repartition(2);
    }

    // --- helpers --------------------------------------------------------------------------------

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    static double medianOf(List<double[]> runs, int index) {
        return median(runs.stream().mapToDouble(r -> r[index]).toArray());
    }

    static String fmt(double seconds) {
        return Double.isInfinite(seconds) ? "never" : String.format("%.1f s", seconds);
    }

    static int intOption(String[] args, String name, int fallback) {
        return Integer.parseInt(stringOption(args, name, String.valueOf(fallback)));
    }

    static String stringOption(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) if (args[i].equals(name)) return args[i + 1];
        return fallback;
    }
}
