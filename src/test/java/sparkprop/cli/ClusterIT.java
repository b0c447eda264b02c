package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sparkprop.data.Fixtures;
import sparkprop.storage.MiniHdfs;
import sparkprop.train.Checkpoint;
import sparkprop.train.TrainingState;

/**
 * A real standalone cluster (a master and two workers, separate JVMs on 127.0.0.1) started with
 * scripts/cluster, a real HDFS (MiniDFSCluster in this JVM, 1 MiB blocks) holding the data and the
 * run folders, the application jar submitted with scripts/submit in client and cluster deploy
 * mode, and real damage done: an executor JVM killed mid-epoch, the driver killed mid-training
 * (then resumed by hand, or restarted by the master under --supervise). Every run must end with
 * the model of an undisturbed local[2] run on local files, bit for bit. Needs the packaged jar
 * (mvn verify).
 */
class ClusterIT {
    static final Path ROOT = Scripts.ROOT;
    static final Path WORK = ROOT.resolve("target/it");
    static final String PORT = "17077";
    static final String MASTER = "spark://127.0.0.1:" + PORT;
    static final String UI = "http://127.0.0.1:18080/json/"; // the master's web UI: port + 1003, as scripts/cluster sets it
    static final List<String> WORKER_KERNELS = List.of("Sandybridge", "Nehalem");
    /** The cluster runs with Spark's authentication on: every connection, the step exchange's too, must prove this secret. */
    static final String SECRET = "cluster-it-" + Long.toHexString(new java.security.SecureRandom().nextLong());
    static final List<String> AUTH = List.of("--conf", "spark.authenticate=true", "--conf", "spark.authenticate.secret=" + SECRET);
    static Path data;
    static String hdfsData;
    static byte[] reference;

    @BeforeAll
    static void startCluster() throws Exception {
        deleteTree(WORK);
        data = Fixtures.syntheticMnist(WORK.resolve("data"), 8000, 1000, 28, false, 31);
        hdfsData = MiniHdfs.upload(data, "/cluster-it/data");
        // Two "machines" whose OpenBLAS picks different kernels, as nodes with different CPUs would (both kernels
        // run on any x86-64 CPU with AVX); the local[2] reference runs the pinned family, Haswell.
        Scripts.Result started = run(120, "scripts/cluster", "start", "--workers", "2", "--cores", "1", "--memory", "1g", "--port", PORT,
                "--dir", WORK.resolve("cluster").toString(), "--worker-env", "1:OPENBLAS_CORETYPE=" + WORKER_KERNELS.get(0),
                "--worker-env", "2:OPENBLAS_CORETYPE=" + WORKER_KERNELS.get(1), AUTH.get(0), AUTH.get(1), AUTH.get(2), AUTH.get(3));
        assertEquals(0, started.code(), started.output());
        Scripts.Result status = run(30, "scripts/cluster", "status", "--dir", WORK.resolve("cluster").toString());
        assertTrue(status.output().contains("worker-2  pid") && status.output().contains("alive"), status.output());

        long t = System.nanoTime();
        Scripts.Result local = run(300, trainArgs("scripts/train", "--master", "local[2]", "--out", WORK.resolve("local").toString()));
        assertEquals(0, local.code(), local.output());
        assertTrue(!local.output().contains("spark.authenticate is off"), "no warning in local mode: " + local.output());
        System.out.printf("local[2] reference run: %.1f s%n", (System.nanoTime() - t) / 1e9);
        reference = Files.readAllBytes(WORK.resolve("local/model.bin"));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        run(60, "scripts/cluster", "stop", "--port", PORT, "--dir", WORK.resolve("cluster").toString());
    }

    static String[] trainArgs(String script, String... more) {
        return trainArgs(script, List.of(), data.toString(), more);
    }

    /** scripts/train, or scripts/submit to the cluster with {@code submitOptions}, training on {@code dataPath}. */
    static String[] trainArgs(String script, List<String> submitOptions, String dataPath, String... more) {
        List<String> a = new ArrayList<>(List.of(script));
        if (script.endsWith("submit")) {
            a.addAll(List.of("--master", MASTER, "--conf", "spark.executor.memory=1g", "--conf", "spark.driver.memory=512m"));
            if (!submitOptions.contains("cluster")) {
                // Wait (up to Spark's 30 s) for both workers' executors: on a loaded machine one came late, and the per-node
                // test saw a single kernel. Not in cluster deploy mode, where the driver itself takes one worker's core.
                a.addAll(List.of("--conf", "spark.cores.max=2", "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0"));
            }
            a.addAll(AUTH);
            a.addAll(submitOptions);
            a.add("train");
        }
        a.addAll(List.of("--data", dataPath, "--layers", "784,64,10", "--epochs", "4", "--batch-size", "200", "--shards", "4",
                "--seed", "7", "--learning-rate", "0.2", "--warmup", "0.5",
                // Distortions drawn on the executors: every loss and restart below must redraw them identically.
                "--augment", "shift=2,rotate=10,elastic-alpha=34,elastic-sigma=4"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /**
     * The heterogeneous cluster unpinned: each executor keeps its own node's kernel (so the other
     * tests, pinned, ran one family on both). Prints whether the bits still match local[2].
     */
    @Test
    void unpinnedEachExecutorUsesItsOwnNodesKernel() throws Exception {
        Path out = WORK.resolve("per-node");
        Scripts.Result r = Scripts.run(WORK.resolve("logs"), 300, Map.of("SPARKPROP_BLAS_KERNEL", "per-node"),
                trainArgs("scripts/submit", "--out", out.toString()));
        assertEquals(0, r.code(), r.output());
        com.fasterxml.jackson.databind.JsonNode summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("summary.json").toFile());
        List<String> kernels = new ArrayList<>();
        summary.get("blas_executors").forEach(e -> kernels.add(e.asText().replaceAll(".*kernel (\\w+)\\)$", "$1")));
        java.util.Collections.sort(kernels);
        assertEquals(WORKER_KERNELS.stream().sorted().toList(), kernels, summary.get("blas_executors").toString());
        byte[] model = Files.readAllBytes(out.resolve("model.bin"));
        System.out.printf("unpinned on kernels %s: model.bin %s the pinned local[2] one; test accuracy %s%n", kernels,
                java.util.Arrays.equals(reference, model) ? "equals" : "differs from", summary.get("test_accuracy"));
    }

    /** Cluster deploy mode: the driver runs on a worker, is killed there, and the master restarts it (--supervise). */
    @Test
    void aSupervisedDriverOnAWorkerKilledMidTrainingIsRestartedAndContinuesToTheSameBits() throws Exception {
        long t = System.nanoTime();
        String out = MiniHdfs.uri("/cluster-it/supervised");
        // 40 steps an epoch, a checkpoint every 7 steps besides the epoch ends: killed early in epoch 2 or later, the
        // newest checkpoint, and so the restart's starting point, lies within an epoch.
        String driver = submitInClusterMode(List.of("--deploy-mode", "cluster", "--supervise"), "--out", out, "--resume-if-exists",
                "--checkpoint-every", "7");
        TrainingState.Progress at = awaitCheckpointWithinEpoch(out + "/checkpoint.bin", 240);
        long pid = driverPid(driver);
        int linesAtKill = MiniHdfs.lines(out + "/metrics.jsonl");
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        // Killed while training ran: the JVM was a live driver attempt and not all epochs were written.
        assertTrue(linesAtKill >= 1 && linesAtKill < 4, "killed while training ran (" + linesAtKill + " epochs written)");
        System.out.println("killed driver JVM pid " + pid + " after " + linesAtKill + " epoch(s), checkpoint at step " + at.stepsDone());

        JsonNode finished = awaitDriverEnd(driver, 300);
        String output = driverOutput(driver);
        System.out.printf("supervised run %s: %.1f s to %s%n", driver, (System.nanoTime() - t) / 1e9, finished.get("state").asText());
        assertEquals("FINISHED", finished.get("state").asText(), output);
        // A second attempt ran (the worker appends each attempt's output to the same file) and took up the checkpoint.
        assertTrue(output.contains("--resume-if-exists: continuing the run in " + out + " after epoch"), output);
        assertTrue(output.matches("(?s).*continuing the run in \\S+ after epoch \\d and step \\d+ of epoch \\d.*"), "from within an epoch: " + output);
        // It ran on a worker, not here: its output is in that worker's folder for the driver.
        assertTrue(output.contains("model:   " + out + "/model.bin"), output);
        assertTrue(ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        assertArrayEquals(reference, MiniHdfs.read(out + "/model.bin"));
        assertEquals(4, MiniHdfs.lines(out + "/metrics.jsonl"));
    }

    @Test
    void killingAnExecutorMidEpochChangesNothing() throws Exception {
        Path out = WORK.resolve("executor-killed");
        Path driverLog = WORK.resolve("logs").resolve("sparkprop.log");
        long logBefore = Files.exists(driverLog) ? Files.size(driverLog) : 0;
        Process driver = start(trainArgs("scripts/submit", "--out", out.toString()));
        awaitLines(out.resolve("metrics.jsonl"), 1, driver);
        List<Long> executors = executorPids();
        assertTrue(!executors.isEmpty(), "no executor JVM found");
        long victim = executors.get(0);
        ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly);
        // Training was still running when the executor died: the driver is alive and not all epochs are written.
        int linesAtKill = Files.readAllLines(out.resolve("metrics.jsonl")).size();
        assertTrue(driver.isAlive() && linesAtKill < 4, "killed while training ran (" + linesAtKill + " epochs written)");
        System.out.println("killed executor pid " + victim + " after " + linesAtKill + " epoch(s)");
        Scripts.awaitExit(driver, WORK.resolve("logs"), 300, "training");
        String output = new String(driver.getInputStream().readAllBytes());
        assertEquals(0, driver.exitValue(), output);
        assertTrue(ProcessHandle.of(victim).map(h -> !h.isAlive()).orElse(true));
        // The driver saw the loss and carried on: its log (this run's part) names the lost executor.
        String log = new String(Files.readAllBytes(driverLog), java.nio.charset.StandardCharsets.UTF_8).substring((int) logBefore);
        assertTrue(log.contains("Lost executor"), "the driver's log records the lost executor");
        System.out.println("tasks lost with it and run again: " + log.lines().filter(l -> l.contains("Lost task")).count());
        assertArrayEquals(reference, Files.readAllBytes(out.resolve("model.bin")));
    }

    /**
     * Client deploy mode, the data and the run folder on HDFS: the driver here is killed, the run
     * resumed by hand from its folder, and the model is that of local[2] on local files.
     */
    @Test
    void aClusterRunOnHdfsKilledThenResumedEndsWithTheBitsOfLocalTwoOnLocalFiles() throws Exception {
        long t = System.nanoTime();
        String out = MiniHdfs.uri("/cluster-it/driver-killed");
        Process driver = start(trainArgs("scripts/submit", List.of(), hdfsData, "--out", out));
        awaitHdfs(out + "/checkpoint.bin", 240);
        assertTrue(driver.isAlive(), "the driver was still running");
        driver.destroyForcibly();
        assertTrue(driver.waitFor(60, TimeUnit.SECONDS));
        int linesAtKill = MiniHdfs.lines(out + "/metrics.jsonl");
        System.out.println("killed the driver after " + linesAtKill + " epoch(s)");
        assertTrue(linesAtKill < 4, "the driver was killed before the end");

        Scripts.Result resumed = run(300, "scripts/submit", "--master", MASTER, "--conf", "spark.executor.memory=1g", AUTH.get(0), AUTH.get(1),
                AUTH.get(2), AUTH.get(3), "train", "--resume", out);
        assertEquals(0, resumed.code(), resumed.output());
        assertTrue(resumed.output().contains("resuming after epoch"), resumed.output());
        assertTrue(resumed.output().contains("master " + MASTER), resumed.output());
        System.out.printf("client-mode cluster run on HDFS, killed and resumed: %.1f s%n", (System.nanoTime() - t) / 1e9);
        assertArrayEquals(reference, MiniHdfs.read(out + "/model.bin"));
        assertEquals(4, MiniHdfs.lines(out + "/metrics.jsonl"));
        // Each executor unpacked and loaded the OpenBLAS the application jar carries, pinned to the one kernel family.
        JsonNode summary = new ObjectMapper().readTree(MiniHdfs.read(out + "/summary.json"));
        List<String> executors = new ArrayList<>();
        summary.get("blas_executors").forEach(e -> executors.add(e.asText()));
        assertEquals(2, executors.size(), executors.toString());
        for (String e : executors) assertTrue(e.endsWith(": native (bundled OpenBLAS 0.3.28, kernel Haswell)"), e);
        // Both executors' tasks ran every step of an epoch in one stage, their sums meeting around a ring (on a cluster the
        // default), over the authenticated exchange, task to task included.
        assertEquals("stage", summary.get("sync").asText(), summary.toString());
        assertEquals("ring", summary.get("exchange").asText(), summary.toString());
    }

    // --- HDFS and the master's state ----------------------------------------------------------

    /** Waits for a checkpoint taken within an epoch after the first, early enough that the next one is within it too. */
    static TrainingState.Progress awaitCheckpointWithinEpoch(String uri, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (MiniHdfs.fs().exists(new org.apache.hadoop.fs.Path(uri))) {
                try {
                    Checkpoint.Loaded c = Checkpoint.decode(MiniHdfs.read(uri), uri);
                    int steps = c.state().epochProgress().stepsDone();
                    if (c.state().epochsDone() >= 1 && steps >= 1 && steps <= 25) return c.state().epochProgress();
                } catch (java.io.IOException | RuntimeException e) {
                    // replaced while we read it: look again
                }
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new AssertionError("no checkpoint within an epoch at " + uri + " within " + seconds + " s");
    }

    static void awaitHdfs(String uri, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (MiniHdfs.fs().exists(new org.apache.hadoop.fs.Path(uri))) return;
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError(uri + " did not appear within " + seconds + " s");
    }

    /** The standalone master's JSON state (what its web UI serves at /json/). */
    static JsonNode master() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(UI)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body());
    }

    static List<JsonNode> drivers() throws Exception {
        JsonNode m = master();
        List<JsonNode> all = new ArrayList<>();
        for (String list : new String[]{"activedrivers", "completeddrivers"}) m.path(list).forEach(all::add);
        return all;
    }

    /** Submits training on the HDFS data in cluster mode; returns the id of the driver the master started. */
    static String submitInClusterMode(List<String> submitOptions, String... trainOptions) throws Exception {
        Set<String> before = driverIds();
        Scripts.Result submitted = run(120, trainArgs("scripts/submit", submitOptions, hdfsData, trainOptions));
        assertEquals(0, submitted.code(), submitted.output());
        assertTrue(submitted.output().contains("Driver successfully submitted as driver-"), submitted.output());
        return newDriver(before);
    }

    static Set<String> driverIds() throws Exception {
        Set<String> ids = new TreeSet<>();
        for (JsonNode d : drivers()) ids.add(d.get("id").asText());
        return ids;
    }

    static String newDriver(Set<String> before) throws Exception {
        Set<String> now = driverIds();
        now.removeAll(before);
        assertEquals(1, now.size(), "one new driver on the master: " + now);
        return now.iterator().next();
    }

    /** Waits until the master lists the driver among the completed ones; returns its entry. */
    static JsonNode awaitDriverEnd(String id, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (JsonNode d : master().path("completeddrivers")) if (d.get("id").asText().equals(id)) return d;
            TimeUnit.MILLISECONDS.sleep(500);
        }
        throw new AssertionError(id + " did not finish within " + seconds + " s:\n" + driverOutput(id));
    }

    /** What the driver printed: the worker that ran it keeps its stdout in work-dir/driver-id/. */
    static String driverOutput(String id) throws IOException {
        StringBuilder text = new StringBuilder();
        try (var files = Files.walk(WORK.resolve("cluster"), 2)) {
            for (Path d : files.filter(f -> f.getFileName().toString().equals(id)).toList()) {
                for (String name : new String[]{"stdout", "stderr"}) {
                    if (Files.exists(d.resolve(name))) text.append(Files.readString(d.resolve(name))).append('\n');
                }
            }
        }
        return text.toString();
    }

    /** The PID of the driver JVM a worker launched for this driver id. */
    static long driverPid(String id) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (var files = Files.list(WORK.resolve("cluster"))) {
            for (Path pidFile : files.filter(f -> f.getFileName().toString().matches("worker-\\d+\\.pid")).toList()) {
                long worker = Long.parseLong(Files.readString(pidFile).trim());
                ProcessHandle.of(worker).ifPresent(w -> w.descendants()
                        .filter(h -> h.info().commandLine().map(c -> c.contains("DriverWrapper") && c.contains(id)).orElse(false))
                        .forEach(h -> pids.add(h.pid())));
            }
        }
        assertEquals(1, pids.size(), "one JVM running " + id + ": " + pids);
        return pids.get(0);
    }

    // --- process plumbing -------------------------------------------------------------------

    static Process start(String... command) throws IOException {
        return Scripts.start(WORK.resolve("logs"), command);
    }

    static Scripts.Result run(int seconds, String... command) throws Exception {
        return Scripts.run(WORK.resolve("logs"), seconds, command);
    }

    /** Waits (bounded) until a file exists with at least n lines, failing early if the process died. */
    static void awaitLines(Path file, int n, Process process) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && (file.toString().endsWith(".bin") ? Files.size(file) > 0 : Files.readAllLines(file).size() >= n)) return;
            if (!process.isAlive()) throw new AssertionError("exited early: " + new String(process.getInputStream().readAllBytes()));
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError(file + " never reached " + n + " lines");
    }

    /** The executor JVMs our workers launched (children of the worker PIDs scripts/cluster recorded). */
    static List<Long> executorPids() throws IOException {
        List<Long> pids = new ArrayList<>();
        try (var files = Files.list(WORK.resolve("cluster"))) {
            for (Path pidFile : files.filter(f -> f.getFileName().toString().matches("worker-\\d+\\.pid")).toList()) {
                long worker = Long.parseLong(Files.readString(pidFile).trim());
                ProcessHandle.of(worker).ifPresent(w -> w.descendants()
                        .filter(h -> h.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")).orElse(false))
                        .forEach(h -> pids.add(h.pid())));
            }
        }
        return pids;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) p.toFile().delete();
        }
        assertTrue(!new File(dir.toString()).exists());
    }
}
