package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sparkprop.data.Fixtures;

/**
 * A real standalone cluster (a master and two workers, separate JVMs on 127.0.0.1) started with
 * scripts/cluster, the application jar submitted with scripts/submit, and real damage done:
 * an executor JVM killed mid-epoch, the driver killed mid-training. Every run must end with the
 * model of an undisturbed local[2] run, bit for bit. Needs the packaged jar (mvn verify).
 */
class ClusterIT {
    static final Path ROOT = Scripts.ROOT;
    static final Path WORK = ROOT.resolve("target/it");
    static final String PORT = "17077";
    static final String MASTER = "spark://127.0.0.1:" + PORT;
    static Path data;
    static byte[] reference;

    @BeforeAll
    static void startCluster() throws Exception {
        deleteTree(WORK);
        data = Fixtures.syntheticMnist(WORK.resolve("data"), 8000, 1000, 28, false, 31);
        Scripts.Result started = run(120, "scripts/cluster", "start", "--workers", "2", "--cores", "1", "--memory", "1g", "--port", PORT,
                "--dir", WORK.resolve("cluster").toString());
        assertEquals(0, started.code(), started.output());
        Scripts.Result status = run(30, "scripts/cluster", "status", "--dir", WORK.resolve("cluster").toString());
        assertTrue(status.output().contains("worker-2  pid") && status.output().contains("alive"), status.output());

        long t = System.nanoTime();
        Scripts.Result local = run(300, trainArgs("scripts/train", "--master", "local[2]", "--out", WORK.resolve("local").toString()));
        assertEquals(0, local.code(), local.output());
        System.out.printf("local[2] reference run: %.1f s%n", (System.nanoTime() - t) / 1e9);
        reference = Files.readAllBytes(WORK.resolve("local/model.bin"));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        run(60, "scripts/cluster", "stop", "--port", PORT, "--dir", WORK.resolve("cluster").toString());
    }

    static String[] trainArgs(String script, String... more) {
        List<String> a = new ArrayList<>(List.of(script));
        if (script.endsWith("submit")) a.addAll(List.of("--master", MASTER, "--conf", "spark.executor.memory=1g", "train"));
        a.addAll(List.of("--data", data.toString(), "--layers", "784,64,10", "--epochs", "4", "--batch-size", "200", "--shards", "4",
                "--seed", "7", "--learning-rate", "0.2", "--warmup", "0.5"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void aModelTrainedOnTheClusterIsBitIdenticalToLocalTwo() throws Exception {
        long t = System.nanoTime();
        Path out = WORK.resolve("cluster-run");
        Scripts.Result r = run(300, trainArgs("scripts/submit", "--out", out.toString()));
        assertEquals(0, r.code(), r.output());
        System.out.printf("cluster run: %.1f s%n", (System.nanoTime() - t) / 1e9);
        assertTrue(r.output().contains("master " + MASTER), r.output());
        assertArrayEquals(reference, Files.readAllBytes(out.resolve("model.bin")));
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
        assertTrue(driver.waitFor(300, TimeUnit.SECONDS), "training did not finish");
        String output = new String(driver.getInputStream().readAllBytes());
        assertEquals(0, driver.exitValue(), output);
        assertTrue(ProcessHandle.of(victim).map(h -> !h.isAlive()).orElse(true));
        // The driver saw the loss and carried on: its log (this run's part) names the lost executor.
        String log = new String(Files.readAllBytes(driverLog), java.nio.charset.StandardCharsets.UTF_8).substring((int) logBefore);
        assertTrue(log.contains("Lost executor"), "the driver's log records the lost executor");
        System.out.println("tasks lost with it and run again: " + log.lines().filter(l -> l.contains("Lost task")).count());
        assertArrayEquals(reference, Files.readAllBytes(out.resolve("model.bin")));
    }

    @Test
    void killingTheDriverThenResumingEndsBitIdentical() throws Exception {
        Path out = WORK.resolve("driver-killed");
        Process driver = start(trainArgs("scripts/submit", "--out", out.toString()));
        awaitLines(out.resolve("metrics.jsonl"), 1, driver);
        awaitLines(out.resolve("checkpoint.bin"), 1, driver);
        driver.destroyForcibly();
        assertTrue(driver.waitFor(60, TimeUnit.SECONDS));
        int linesAtKill = Files.readAllLines(out.resolve("metrics.jsonl")).size();
        System.out.println("killed the driver after " + linesAtKill + " epoch(s)");
        assertTrue(linesAtKill < 4, "the driver was killed before the end");

        Scripts.Result resumed = run(300, "scripts/submit", "--master", MASTER, "--conf", "spark.executor.memory=1g", "train",
                "--resume", out.toString());
        assertEquals(0, resumed.code(), resumed.output());
        assertTrue(resumed.output().contains("resuming after epoch"), resumed.output());
        assertArrayEquals(reference, Files.readAllBytes(out.resolve("model.bin")));
        assertEquals(4, Files.readAllLines(out.resolve("metrics.jsonl")).size());
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
