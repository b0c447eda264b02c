package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sparkprop.data.Fixtures;
import sparkprop.storage.MiniHdfs;

/**
 * A real YARN: a ResourceManager and two NodeManagers on 127.0.0.1 (Hadoop's MiniYARNCluster, as
 * Spark's own YARN suites use), each the size of a small node, with a real HDFS beside it, and the
 * application submitted with scripts/submit --master yarn and HADOOP_CONF_DIR, as spark-submit is.
 * The executors run in YARN containers and reach the driver's exchange; every run that trains must
 * end in the model of an undisturbed local[2] run, bit for bit. Needs the packaged jar (mvn verify).
 */
class YarnIT {
    static final Path WORK = Scripts.ROOT.resolve("target/it-yarn");
    static MiniYARNCluster yarn;
    static Path confDir;
    static Path data;
    static String hdfsData;

    @BeforeAll
    static void startYarn() throws Exception {
        ClusterIT.deleteTree(WORK);
        Files.createDirectories(WORK);
        data = Fixtures.syntheticMnist(WORK.resolve("data"), 8000, 1000, 28, false, 41);
        hdfsData = MiniHdfs.upload(data, "/yarn-it/data");
        YarnConfiguration conf = new YarnConfiguration();
        conf.set("fs.defaultFS", MiniHdfs.uri(""));
        // A small node: 2 GiB and 2 cores each; containers as small as 256 MiB; no virtual-memory kill (the JVM reserves a lot).
        conf.setInt(YarnConfiguration.NM_PMEM_MB, 2048);
        conf.setInt(YarnConfiguration.NM_VCORES, 2);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        conf.setFloat("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", 99.5f);
        conf.set(YarnConfiguration.RM_HOSTNAME, "127.0.0.1");
        // The capacity scheduler's queues (the shaded minicluster carries no capacity-scheduler.xml): "default", and "tiny",
        // which can never grant an application master and its executors. Application masters may use the whole queue.
        conf.set("yarn.scheduler.capacity.root.queues", "default,tiny");
        conf.set("yarn.scheduler.capacity.root.default.capacity", "75");
        conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        // A quarter of the 4 GiB: the 1 GiB container of a client-mode application master, and nothing for its executors.
        conf.set("yarn.scheduler.capacity.root.tiny.capacity", "25");
        conf.set("yarn.scheduler.capacity.root.tiny.maximum-capacity", "25");
        conf.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
        conf.set("yarn.nodemanager.hostname", "127.0.0.1");
        long started = System.nanoTime();
        yarn = new MiniYARNCluster("sparkprop-yarn-it", 2, 1, 1);
        yarn.init(conf);
        yarn.start();
        // The ResourceManager's address is known once it listens.
        Configuration live = yarn.getConfig();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (live.get(YarnConfiguration.RM_ADDRESS, "").endsWith(":0") && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(100);
        System.out.printf("MiniYARNCluster up at %s in %.1f s%n", live.get(YarnConfiguration.RM_ADDRESS), (System.nanoTime() - started) / 1e9);
        confDir = Files.createDirectories(WORK.resolve("hadoop-conf"));
        try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
            live.writeXml(out);
        }
        Configuration core = new Configuration(false);
        core.set("fs.defaultFS", MiniHdfs.uri(""));
        try (OutputStream out = Files.newOutputStream(confDir.resolve("core-site.xml"))) {
            core.writeXml(out);
        }
    }

    @AfterAll
    static void stopYarn() {
        if (yarn != null) yarn.stop();
    }

    static List<String> train(String dataPath, String out) {
        return train(dataPath, out, 3);
    }

    static List<String> train(String dataPath, String out, int epochs) {
        return List.of("--data", dataPath, "--layers", "784,64,10", "--epochs", String.valueOf(epochs), "--batch-size", "200", "--seed", "13",
                "--learning-rate", "0.2", "--out", out);
    }

    static Scripts.Result submit(int seconds, List<String> options, List<String> command) throws Exception {
        List<String> all = new ArrayList<>(List.of("scripts/submit", "--master", "yarn"));
        all.addAll(options);
        // The NodeManagers are on this machine: Spark's jars are read where they are, not uploaded for each application.
        all.addAll(List.of("--conf", "spark.yarn.jars=local:" + Scripts.ROOT.resolve("target/spark-home/jars") + "/*",
                "--conf", "spark.executor.memory=512m", "--conf", "spark.yarn.am.memory=512m", "--conf", "spark.driver.memory=512m"));
        all.addAll(command);
        return Scripts.run(WORK.resolve("logs"), seconds, Map.of("HADOOP_CONF_DIR", confDir.toString()), all.toArray(String[]::new));
    }

    static byte[] reference;

    static synchronized byte[] reference() throws Exception {
        if (reference == null) {
            List<String> local = new ArrayList<>(List.of("scripts/train", "--master", "local[2]"));
            local.addAll(train(data.toString(), WORK.resolve("local").toString()));
            Scripts.Result run = Scripts.run(WORK.resolve("logs"), 300, local.toArray(String[]::new));
            assertEquals(0, run.code(), run.output());
            reference = Files.readAllBytes(WORK.resolve("local/model.bin"));
        }
        return reference;
    }

    /** Client mode: training, then evaluate and predict as YARN jobs, all reading and writing HDFS. */
    @Test
    void clientModeTrainsOnHdfsInYarnContainersToTheBitsOfLocalTwo() throws Exception {
        byte[] expected = reference();

        String out = MiniHdfs.uri("/yarn-it/client");
        List<String> command = new ArrayList<>(List.of("train"));
        command.addAll(train(hdfsData, out));
        // The exchange on a known port of 127.0.0.1, so that this test can knock without YARN's secret while the run trains.
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        java.util.concurrent.CompletableFuture<Scripts.Result> run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return submit(600, List.of("--deploy-mode", "client", "--conf", "spark.authenticate=true", "--conf", "spark.driver.host=127.0.0.1",
                        "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.sparkprop.exchange.port=" + port), command);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String knocked = knockWithoutTheSecret(port, run);
        Scripts.Result r = run.get(600, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.output());
        System.out.println("a connection without YARN's secret: " + knocked);
        assertTrue(knocked.startsWith("refused") && !knocked.contains("not a task of this run"),
                "a connection without YARN's secret while the run trained must be refused by Spark's authentication, before the exchange: " + knocked);
        assertTrue(r.output().contains("master yarn"), r.output());
        assertArrayEquals(expected, MiniHdfs.read(out + "/model.bin"));
        JsonNode summary = new ObjectMapper().readTree(MiniHdfs.read(out + "/summary.json"));
        // Every epoch in the stage, the two executors' tasks in a ring, over YARN's generated secret.
        assertEquals("stage", summary.get("sync").asText(), summary.toString());
        assertEquals("ring", summary.get("exchange").asText(), summary.toString());
        assertEquals(2, summary.get("task_slots").asInt(), summary.toString());

        String eval = MiniHdfs.uri("/yarn-it/eval");
        Scripts.Result evaluated = submit(300, List.of(), List.of("evaluate", "--model", out + "/model.bin", "--data", hdfsData, "--out", eval));
        assertEquals(0, evaluated.code(), evaluated.output());
        JsonNode metrics = new ObjectMapper().readTree(MiniHdfs.read(eval + "/metrics.json"));
        assertEquals(summary.get("test_accuracy").asDouble(), metrics.get("accuracy").asDouble(), 1e-9, metrics.toString());
        String pictures = MiniHdfs.uri("/yarn-it/pictures");
        CliRun exported = CliRun.of("export-images", "--data", hdfsData, "--out", pictures, "--limit", "12");
        assertEquals(0, exported.exitCode(), exported.err());
        String predictions = MiniHdfs.uri("/yarn-it/predictions");
        Scripts.Result predicted = submit(300, List.of(), List.of("predict", "--model", out + "/model.bin", "--data", pictures, "--out", predictions));
        assertEquals(0, predicted.code(), predicted.output());
        assertTrue(!MiniHdfs.names(predictions).isEmpty(), "predictions written to HDFS");
    }

    /**
     * Connects to the driver's exchange at 127.0.0.1:port once it listens, as an outsider without the application's
     * secret, and sends a request: "refused: ..." when the server turns it away, "answered" if the request got through,
     * "never listened" if the run ended first.
     */
    static String knockWithoutTheSecret(int port, java.util.concurrent.CompletableFuture<?> run) throws Exception {
        org.apache.spark.network.util.TransportConf plain = org.apache.spark.network.netty.SparkTransportConf.fromSparkConf(
                new org.apache.spark.SparkConf(), "sparkprop", 1, scala.Option.empty(), scala.Option.empty());
        try (org.apache.spark.network.TransportContext context = new org.apache.spark.network.TransportContext(plain,
                new org.apache.spark.network.server.NoOpRpcHandler());
             org.apache.spark.network.client.TransportClientFactory factory = context.createClientFactory()) {
            while (!run.isDone()) {
                org.apache.spark.network.client.TransportClient client;
                try {
                    client = factory.createUnmanagedClient("127.0.0.1", port);
                } catch (java.io.IOException | RuntimeException notYet) {
                    TimeUnit.MILLISECONDS.sleep(50);
                    continue;
                }
                try {
                    // A well-formed join with a token of its own: the exchange's handler, if it heard it, would answer
                    // "refused: not a task of this run"; Spark's authentication must stop it before.
                    client.sendRpcSync(new sparkprop.collective.Message.Join(sparkprop.collective.Token.random(), 0, 0, "127.0.0.1:1").encode(), 10_000);
                    return "answered";
                } catch (RuntimeException e) {
                    return "refused: " + e;
                } finally {
                    client.close();
                }
            }
        }
        return "never listened";
    }

    /** An executor's YARN container killed mid-epoch: YARN grants another, the stage is launched again, the same bits. */
    @Test
    void anExecutorContainerKilledMidEpochChangesNothing() throws Exception {
        byte[] expected = reference();
        String out = MiniHdfs.uri("/yarn-it/container-killed");
        List<String> command = new ArrayList<>(List.of("train"));
        command.addAll(train(hdfsData, out, 6));
        java.util.concurrent.CompletableFuture<Scripts.Result> run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return submit(600, List.of(), command);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        ClusterIT.awaitHdfs(out + "/metrics.jsonl", 240);
        List<ProcessHandle> executors = ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().map(c -> c.contains("YarnCoarseGrainedExecutorBackend")).orElse(false)).toList();
        assertTrue(!executors.isEmpty(), "no executor container found");
        executors.get(0).destroyForcibly();
        Scripts.Result r = run.get(600, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.output());
        byte[] model = MiniHdfs.read(out + "/model.bin");
        assertTrue(MiniHdfs.lines(out + "/metrics.jsonl") == 6, "six epochs");
        // Six epochs, not the reference's three: compared with a local[2] run of six.
        assertArrayEquals(referenceOf(6), model);
        assertTrue(expected.length == model.length);
    }

    static final Map<Integer, byte[]> LONGER = new java.util.HashMap<>();

    /** The model of an undisturbed local[2] run of {@code epochs} (the runs disturbed mid-run train longer than the reference). */
    static synchronized byte[] referenceOf(int epochs) throws Exception {
        if (!LONGER.containsKey(epochs)) {
            List<String> local = new ArrayList<>(List.of("scripts/train", "--master", "local[2]"));
            local.addAll(train(data.toString(), WORK.resolve("local-" + epochs).toString(), epochs));
            Scripts.Result run = Scripts.run(WORK.resolve("logs"), 300, local.toArray(String[]::new));
            assertEquals(0, run.code(), run.output());
            LONGER.put(epochs, Files.readAllBytes(WORK.resolve("local-" + epochs + "/model.bin")));
        }
        return LONGER.get(epochs);
    }

    /**
     * Cluster mode, the driver inside YARN's application master: the application master killed after the first epoch's
     * checkpoint; YARN's second attempt (spark.yarn.maxAppAttempts=2) runs the same command line, whose
     * --resume-if-exists continues from the checkpoint on HDFS, to the bits of an undisturbed run, and the application
     * ends SUCCEEDED.
     */
    @Test
    void clusterModeAnApplicationMasterKilledMidRunIsResumedByTheSecondAttempt() throws Exception {
        String out = MiniHdfs.uri("/yarn-it/cluster-am-killed");
        List<String> command = new ArrayList<>(List.of("train"));
        command.addAll(train(hdfsData, out, 12));
        command.add("--resume-if-exists");
        java.util.concurrent.CompletableFuture<Scripts.Result> run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return submit(900, List.of("--deploy-mode", "cluster", "--conf", "spark.yarn.maxAppAttempts=2"), command);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        ClusterIT.awaitHdfs(out + "/checkpoint.bin", 300);
        List<ProcessHandle> masters = ProcessHandle.allProcesses()
                .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .filter(h -> h.info().commandLine().map(c -> c.contains("org.apache.spark.deploy.yarn.ApplicationMaster")).orElse(false)).toList();
        assertEquals(1, masters.size(), "one application master's JVM (the container's launch script aside), the driver's");
        int epochsBefore = MiniHdfs.lines(out + "/metrics.jsonl");
        masters.get(0).destroyForcibly();
        Scripts.Result r = run.get(900, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.output());
        // What `yarn application -status` reports, from the ResourceManager itself: the newest application, two attempts, SUCCEEDED.
        org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp app = yarn.getResourceManager().getRMContext().getRMApps().values().stream()
                .max(java.util.Comparator.comparing(a -> a.getApplicationId())).orElseThrow();
        assertEquals(2, app.getAppAttempts().size(), app.getDiagnostics().toString());
        assertEquals(org.apache.hadoop.yarn.api.records.FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus(), app.getDiagnostics().toString());
        assertTrue(epochsBefore >= 1 && epochsBefore < 12, "killed mid-run, after " + epochsBefore + " epochs");
        assertEquals(12, MiniHdfs.lines(out + "/metrics.jsonl"), "twelve epochs, each once");
        assertArrayEquals(referenceOf(12), MiniHdfs.read(out + "/model.bin"));
    }

    /**
     * Dynamic allocation on YARN, with shuffle tracking in place of the external shuffle service (not published for
     * 4.2.0): Spark refuses barrier stages there, so the run says so and takes a Spark job per step, to the same bits.
     */
    @Test
    void dynamicAllocationWithShuffleTrackingRunsAJobPerStepToTheSameBits() throws Exception {
        byte[] expected = reference();
        String out = MiniHdfs.uri("/yarn-it/dynamic");
        List<String> command = new ArrayList<>(List.of("train"));
        command.addAll(train(hdfsData, out));
        Scripts.Result r = submit(600, List.of("--conf", "spark.dynamicAllocation.enabled=true", "--conf",
                "spark.dynamicAllocation.shuffleTracking.enabled=true", "--conf", "spark.dynamicAllocation.maxExecutors=2"), command);
        assertEquals(0, r.code(), r.output());
        assertTrue(r.output().contains("dynamic allocation"), r.output());
        JsonNode summary = new ObjectMapper().readTree(MiniHdfs.read(out + "/summary.json"));
        assertEquals("jobs", summary.get("sync").asText(), summary.toString());
        assertArrayEquals(expected, MiniHdfs.read(out + "/model.bin"));
    }

    /**
     * A queue with room for the application master and one executor of the two asked for: a bounded wait, then the run
     * says in its first line what it got and trains on it, to the same bits (the shards do not follow the slots below 4).
     */
    @Test
    void aQueueThatCannotGrantTheExecutorsAskedForGetsARunOnWhatCame() throws Exception {
        byte[] expected = reference();
        String out = MiniHdfs.uri("/yarn-it/tiny");
        List<String> command = new ArrayList<>(List.of("train"));
        command.addAll(train(hdfsData, out));
        long started = System.nanoTime();
        Scripts.Result r = submit(300, List.of("--conf", "spark.yarn.queue=tiny", "--conf", "spark.sparkprop.slots.waitSeconds=15"), command);
        System.out.printf("done %.0f s after submitting%n", (System.nanoTime() - started) / 1e9);
        assertEquals(0, r.code(), r.output());
        assertTrue(r.output().contains("in 1 partitions on 1 of the 2 task slots asked for (spark.executor.instances=2 (the default) x "
                + "spark.executor.cores=1) after waiting 15 s (spark.sparkprop.slots.waitSeconds)"), r.output());
        assertArrayEquals(expected, MiniHdfs.read(out + "/model.bin"));
    }
}
