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
        return List.of("--data", data.toString(), "--layers", "784,64,10", "--epochs", "6", "--batch-size", "200", "--seed", "11",
                "--learning-rate", "0.2", "--out", out.toString());
    }

    static byte[] reference;

    static byte[] reference() throws Exception {
        if (reference == null) {
            List<String> local = new ArrayList<>(List.of("scripts/train", "--master", "local[2]"));
            local.addAll(train(WORK.resolve("local")));
            Scripts.Result run = Scripts.run(WORK.resolve("logs"), 300, local.toArray(String[]::new));
            assertEquals(0, run.code(), run.output());
            reference = Files.readAllBytes(WORK.resolve("local/model.bin"));
        }
        return reference;
    }

    static List<String> submit(Path out, String... conf) {
        List<String> submit = new ArrayList<>(List.of("scripts/submit", "--master", "spark://127.0.0.1:" + PORT, "--conf", "spark.executor.memory=1g",
                "--conf", "spark.cores.max=2", "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0"));
        for (String c : conf) submit.addAll(List.of("--conf", c));
        submit.add("train");
        submit.addAll(train(out));
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

    @Test
    @org.junit.jupiter.api.Order(2)
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
}
