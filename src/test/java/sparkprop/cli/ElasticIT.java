package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * A node lost for good: a loopback standalone cluster of two one-core workers (scripts/cluster),
 * the default options, and one worker killed with its executor after the first epoch. The run waits
 * the bounded time for the slot to come back, says in one line that it goes on with fewer
 * partitions, and ends with the model of an undisturbed local[2] run, bit for bit. The cluster runs
 * without spark.authenticate, so the run also says the exchange is then open. Needs the packaged
 * jar (mvn verify).
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ElasticIT {
    static final Path WORK = Scripts.ROOT.resolve("target/it-elastic");
    static final String PORT = "17177";
    static Path data;

    @BeforeAll
    static void startCluster() throws Exception {
        ClusterIT.deleteTree(WORK);
        data = Fixtures.syntheticMnist(WORK.resolve("data"), 8000, 1000, 28, false, 37);
        Scripts.Result started = Scripts.run(WORK.resolve("logs"), 120, "scripts/cluster", "start", "--workers", "2", "--cores", "1", "--memory",
                "1g", "--port", PORT, "--dir", WORK.resolve("cluster").toString());
        assertEquals(0, started.code(), started.output());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        Scripts.run(WORK.resolve("logs"), 60, "scripts/cluster", "stop", "--port", PORT, "--dir", WORK.resolve("cluster").toString());
    }

    static List<String> train(Path out) {
        return train(out, 6);
    }

    static List<String> train(Path out, int epochs) {
        return List.of("--data", data.toString(), "--layers", "784,64,10", "--epochs", String.valueOf(epochs), "--batch-size", "200", "--seed", "11",
                "--learning-rate", "0.2", "--out", out.toString());
    }

    static byte[] reference;

    static byte[] reference() throws Exception {
        if (reference == null) reference = local(6);
        return reference;
    }

    /** The model of an undisturbed local[2] run of {@code epochs} epochs. */
    static byte[] local(int epochs) throws Exception {
        List<String> local = new ArrayList<>(List.of("scripts/train", "--master", "local[2]"));
        local.addAll(train(WORK.resolve("local-" + epochs), epochs));
        Scripts.Result run = Scripts.run(WORK.resolve("logs"), 300, local.toArray(String[]::new));
        assertEquals(0, run.code(), run.output());
        return Files.readAllBytes(WORK.resolve("local-" + epochs + "/model.bin"));
    }

    static List<String> submit(Path out, String... conf) {
        return submit(out, 6, conf);
    }

    static List<String> submit(Path out, int epochs, String... conf) {
        List<String> submit = new ArrayList<>(List.of("scripts/submit", "--master", "spark://127.0.0.1:" + PORT, "--conf", "spark.executor.memory=1g",
                "--conf", "spark.cores.max=2", "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0"));
        for (String c : conf) submit.addAll(List.of("--conf", c));
        submit.add("train");
        submit.addAll(train(out, epochs));
        return submit;
    }

    /**
     * An executor that stops answering (SIGSTOP: its JVM frozen, its heartbeats too) is given up after the stall bound,
     * not Spark's 120 s heartbeat timeout: its neighbour fails the step naming it, the driver says so and asks Spark to
     * replace that executor, the worker starts another, and the run ends in the same bits.
     */
    @Test
    @org.junit.jupiter.api.Order(1)
    void anExecutorThatStopsAnsweringIsReplacedWellBeforeSparksHeartbeatTimeout() throws Exception {
        byte[] expected = reference();
        Path out = WORK.resolve("stopped");
        Process driver = Scripts.start(WORK.resolve("logs"), submit(out, "spark.sparkprop.exchange.stallSeconds=10").toArray(String[]::new));
        ClusterIT.awaitLines(out.resolve("metrics.jsonl"), 1, driver);
        long worker = Long.parseLong(Files.readString(WORK.resolve("cluster/worker-1.pid")).trim());
        List<Long> executors = ProcessHandle.of(worker).map(w -> w.descendants()
                .filter(h -> h.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")).orElse(false)).map(ProcessHandle::pid).toList())
                .orElse(List.of());
        assertEquals(1, executors.size(), "worker 1's executor: " + executors);
        long stoppedAt = System.nanoTime();
        new ProcessBuilder("kill", "-STOP", String.valueOf(executors.get(0))).inheritIO().start().waitFor();
        try {
            Scripts.awaitExit(driver, WORK.resolve("logs"), 300, "training");
        } finally {
            new ProcessBuilder("kill", "-CONT", String.valueOf(executors.get(0))).inheritIO().start().waitFor();
        }
        String output = new String(driver.getInputStream().readAllBytes());
        System.out.println(output);
        System.out.printf("finished %.0f s after the executor was stopped%n", (System.nanoTime() - stoppedAt) / 1e9);
        assertEquals(0, driver.exitValue(), output);
        // Stopped mid-epoch, its neighbour gives up on it; stopped between epochs, it never joins the next launch. Either way the
        // driver names it and has it replaced.
        assertTrue(output.matches("(?s).*member \\d of the training stage \\(executor \\d+\\) (stopped answering|did not join its launch) for 10 s; "
                + "asking Spark to replace that executor.*"), output);
        assertTrue((System.nanoTime() - stoppedAt) / 1e9 < 100, "well before Spark's 120 s heartbeat timeout");
        assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.bin")));
    }

    /**
     * A driver that stops answering (SIGSTOP: its JVM frozen mid-epoch) is given up by the training stage's tasks after
     * the stall bound, which ends them and frees their task slots; once the driver runs again it launches the stage again
     * from the last state it has, replaces no executor (none of them was at fault), and the run ends in the same bits.
     */
    @Test
    @org.junit.jupiter.api.Order(2)
    void aDriverThatStopsAnsweringIsGivenUpByItsTasksAndTheRunGoesOnOnceItIsBack() throws Exception {
        // Small steps, so that an epoch (about 400 steps) lasts long against the scoring between epochs and a pause lands in one.
        List<String> options = List.of("--batch-size", "20", "--learning-rate", "0.05", "--epochs", "4");
        List<String> local = new ArrayList<>(List.of("scripts/train", "--master", "local[2]"));
        local.addAll(with(train(WORK.resolve("local-paused"), 4), options));
        Scripts.Result undisturbed = Scripts.run(WORK.resolve("logs"), 300, local.toArray(String[]::new));
        assertEquals(0, undisturbed.code(), undisturbed.output());
        byte[] expected = Files.readAllBytes(WORK.resolve("local-paused/model.bin"));

        Path out = WORK.resolve("driver-paused");
        java.util.Set<Path> logsBefore = executorLogs();
        List<String> submit = with(submit(out, 4, "spark.sparkprop.exchange.stallSeconds=5"), options);
        Process driver = Scripts.start(WORK.resolve("logs"), submit.toArray(String[]::new));
        ClusterIT.awaitLines(out.resolve("metrics.jsonl"), 1, driver);
        // A pause that lands between the stages (scoring, a launch) leaves no task to give up: the driver runs again and
        // is paused once more.
        String gaveUp = null;
        for (int attempt = 0; attempt < 5 && gaveUp == null && driver.isAlive(); attempt++) {
            new ProcessBuilder("kill", "-STOP", String.valueOf(driver.pid())).inheritIO().start().waitFor();
            try {
                long stoppedAt = System.nanoTime();
                while (gaveUp == null && System.nanoTime() - stoppedAt < TimeUnit.SECONDS.toNanos(20)) {
                    TimeUnit.MILLISECONDS.sleep(250);
                    gaveUp = taskEnds(logsBefore, 2);
                }
            } finally {
                new ProcessBuilder("kill", "-CONT", String.valueOf(driver.pid())).inheritIO().start().waitFor();
            }
            if (gaveUp == null) TimeUnit.SECONDS.sleep(1);
        }
        Scripts.awaitExit(driver, WORK.resolve("logs"), 300, "training");
        String output = new String(driver.getInputStream().readAllBytes());
        System.out.println(output);
        assertTrue(gaveUp != null, "no pause of the driver found its tasks running and ended them");
        assertTrue(gaveUp.contains("the driver did not answer Report of member 0 for 5 s"), gaveUp);
        assertEquals(0, driver.exitValue(), output);
        assertTrue(!output.contains("asking Spark to replace"), "an executor replaced for the driver's silence: " + output);
        assertTrue(output.contains("the driver itself did not run for a while (its JVM stopped or paused), so the training stage's tasks gave up "
                + "on it; launching the stage again"), output);
        assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.bin")));
    }

    /** {@code command} with each option in {@code options} given its value there (replaced, or added at the end). */
    static List<String> with(List<String> command, List<String> options) {
        List<String> out = new ArrayList<>(command);
        for (int i = 0; i < options.size(); i += 2) {
            int at = out.indexOf(options.get(i));
            if (at >= 0) out.set(at + 1, options.get(i + 1));
            else out.addAll(List.of(options.get(i), options.get(i + 1)));
        }
        return out;
    }

    /** Every executor's log (stderr) under the cluster's workers. */
    static java.util.Set<Path> executorLogs() throws java.io.IOException {
        try (var files = Files.walk(WORK.resolve("cluster"))) {
            return files.filter(f -> f.getFileName().toString().equals("stderr")).collect(java.util.stream.Collectors.toSet());
        }
    }

    /**
     * The failures of training tasks that new executor logs (not in {@code before}) show, once there are {@code count}
     * of them (each task that gave up has ended, its slot free), else null.
     */
    static String taskEnds(java.util.Set<Path> before, int count) throws java.io.IOException {
        List<String> ends = new ArrayList<>();
        for (Path log : executorLogs()) {
            if (before.contains(log)) continue;
            List<String> lines = Files.readAllLines(log);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).contains("Exception in task")) ends.add(lines.get(i) + (i + 1 < lines.size() ? " " + lines.get(i + 1) : ""));
            }
        }
        return ends.size() >= count ? String.join("\n", ends) : null;
    }

    @Test
    @org.junit.jupiter.api.Order(3)
    void aWorkerLostForGoodMidTrainingLeavesARunOnTheOtherThatEndsInTheSameBits() throws Exception {
        byte[] expected = reference();

        Path out = WORK.resolve("elastic");
        Process driver = Scripts.start(WORK.resolve("logs"), submit(out, "spark.sparkprop.elastic.waitSeconds=10").toArray(String[]::new));
        ClusterIT.awaitLines(out.resolve("metrics.jsonl"), 1, driver);
        long worker = Long.parseLong(Files.readString(WORK.resolve("cluster/worker-2.pid")).trim());
        List<ProcessHandle> killed = new ArrayList<>(ProcessHandle.of(worker).map(w -> w.descendants().toList()).orElse(List.of()));
        ProcessHandle.of(worker).ifPresent(killed::add);
        killed.forEach(ProcessHandle::destroyForcibly);
        int linesAtKill = Files.readAllLines(out.resolve("metrics.jsonl")).size();
        assertTrue(driver.isAlive() && linesAtKill < 6, "killed while training ran (" + linesAtKill + " epochs written)");
        Scripts.awaitExit(driver, WORK.resolve("logs"), 400, "training");
        String output = new String(driver.getInputStream().readAllBytes());
        System.out.println(output);
        assertEquals(0, driver.exitValue(), output);
        assertTrue(output.contains("warning: spark.authenticate is off"), output);
        assertTrue(output.matches("(?s).*task slots lost: 1 of the 2 this run uses are left after waiting 10 s \\(spark.sparkprop.elastic.waitSeconds\\); "
                + "going on at epoch \\d, step \\d+ with 1 partitions of the same 4 shards: the same bits.*"), output);
        // The wait is for the loss, once: the epochs launched after it, with one partition, do not wait for the slot again.
        int lostAt = Integer.parseInt(output.replaceAll("(?s).*going on at epoch (\\d+), step.*", "$1"));
        List<String> epochs = Files.readAllLines(out.resolve("metrics.jsonl"));
        for (String epoch : epochs.subList(lostAt, epochs.size())) {
            double seconds = Double.parseDouble(epoch.replaceAll(".*\"epoch_seconds\":([0-9.Ee-]+).*", "$1"));
            assertTrue(seconds < 10, "an epoch after the loss took " + seconds + " s, as if it waited for the lost slot again: " + epoch);
        }
        assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.bin")));
    }

    /**
     * A node added after one was lost for good is used again: on the cluster's one worker left, a worker joins (the
     * run starts on two), is lost after the first epoch (the run goes on with one partition), and another joins; from
     * the next epoch's launch the run is back on two partitions, and ends with the model of an undisturbed local[2] run.
     */
    @Test
    @org.junit.jupiter.api.Order(4)
    void aWorkerThatJoinsAfterALossIsUsedFromTheNextEpoch() throws Exception {
        int epochs = 100; // epochs of about 0.2 s: room for the added worker to start an executor (5 s here) on a slower machine
        byte[] expected = local(epochs);
        Path cluster = WORK.resolve("cluster");
        // One worker left (the test before lost worker 2; run alone, it is killed here), so that losing the one added
        // leaves the run fewer slots.
        for (int w = 2; Files.exists(cluster.resolve("worker-" + w + ".pid")); w++) {
            ProcessHandle.of(Long.parseLong(Files.readString(cluster.resolve("worker-" + w + ".pid")).trim()))
                    .filter(h -> h.info().commandLine().map(c -> c.contains("deploy.worker.Worker")).orElse(false)).ifPresent(h -> {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
            });
        }
        Scripts.Result joined = Scripts.run(WORK.resolve("logs"), 120, "scripts/cluster", "add-worker", "--memory", "1g", "--dir", cluster.toString());
        assertEquals(0, joined.code(), joined.output());
        int first = Integer.parseInt(joined.output().replaceAll("(?s).*worker (\\d+) joined.*", "$1"));

        Path out = WORK.resolve("grown");
        Process driver = Scripts.start(WORK.resolve("logs"), submit(out, epochs, "spark.sparkprop.elastic.waitSeconds=3").toArray(String[]::new));
        ClusterIT.awaitLines(out.resolve("metrics.jsonl"), 1, driver);
        long worker = Long.parseLong(Files.readString(cluster.resolve("worker-" + first + ".pid")).trim());
        List<ProcessHandle> killed = new ArrayList<>(ProcessHandle.of(worker).map(w -> w.descendants().toList()).orElse(List.of()));
        ProcessHandle.of(worker).ifPresent(killed::add);
        killed.forEach(ProcessHandle::destroyForcibly);
        // Once an epoch has ended on the one partition left, a new node joins.
        ClusterIT.awaitLines(out.resolve("metrics.jsonl"), Files.readAllLines(out.resolve("metrics.jsonl")).size() + 2, driver);
        Scripts.Result again = Scripts.run(WORK.resolve("logs"), 120, "scripts/cluster", "add-worker", "--memory", "1g", "--dir", cluster.toString());
        assertEquals(0, again.code(), again.output());
        Scripts.awaitExit(driver, WORK.resolve("logs"), 400, "training");
        String output = new String(driver.getInputStream().readAllBytes());
        System.out.println(output);
        assertEquals(0, driver.exitValue(), output);
        assertTrue(output.matches("(?s).*task slots lost: 1 of the 2 this run uses are left after waiting 3 s.*"), output);
        assertTrue(output.matches("(?s).*task slots back: going on at epoch \\d+, step 1 with 2 partitions \\(of 2\\).*"), output);
        // No epoch waits on Spark's retries of a stage it cannot place (40 s, when an executor was lost just as the next
        // epoch's stage was submitted), and once back on two partitions none waits on the locality wait (3 s at every
        // launch, when the survivor holds both partitions' blocks).
        int backAt = Integer.parseInt(output.replaceAll("(?s).*task slots back: going on at epoch (\\d+), step.*", "$1"));
        List<String> epochLines = Files.readAllLines(out.resolve("metrics.jsonl"));
        for (int e = 1; e <= epochLines.size(); e++) {
            double seconds = Double.parseDouble(epochLines.get(e - 1).replaceAll(".*\"epoch_seconds\":([0-9.Ee-]+).*", "$1"));
            assertTrue(seconds < 20, "epoch " + e + " took " + seconds + " s");
            if (e > backAt) assertTrue(seconds < 2.5, "epoch " + e + ", after the slots came back, took " + seconds + " s");
        }
        assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.bin")));
    }
}
