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
 * The executors run in YARN containers and reach the driver's exchange; the model must equal an
 * undisturbed local[2] run's bit for bit. Needs the packaged jar (mvn verify).
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
        conf.set("yarn.scheduler.capacity.root.default.capacity", "90");
        conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        conf.set("yarn.scheduler.capacity.root.tiny.capacity", "10");
        conf.set("yarn.scheduler.capacity.root.tiny.maximum-capacity", "10");
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
        return List.of("--data", dataPath, "--layers", "784,64,10", "--epochs", "3", "--batch-size", "200", "--seed", "13",
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

    @Test
    void clientModeTrainsOnHdfsInYarnContainersToTheBitsOfLocalTwo() throws Exception {
        List<String> local = new ArrayList<>(List.of("scripts/train", "--master", "local[2]"));
        local.addAll(train(data.toString(), WORK.resolve("local").toString()));
        Scripts.Result reference = Scripts.run(WORK.resolve("logs"), 300, local.toArray(String[]::new));
        assertEquals(0, reference.code(), reference.output());

        String out = MiniHdfs.uri("/yarn-it/client");
        List<String> command = new ArrayList<>(List.of("train"));
        command.addAll(train(hdfsData, out));
        Scripts.Result r = submit(600, List.of("--deploy-mode", "client", "--conf", "spark.authenticate=true"), command);
        assertEquals(0, r.code(), r.output());
        assertTrue(r.output().contains("master yarn"), r.output());
        assertArrayEquals(Files.readAllBytes(WORK.resolve("local/model.bin")), MiniHdfs.read(out + "/model.bin"));
        JsonNode summary = new ObjectMapper().readTree(MiniHdfs.read(out + "/summary.json"));
        // Every epoch in the stage, the two executors' tasks in a ring, over YARN's generated secret.
        assertEquals("stage", summary.get("sync").asText(), summary.toString());
        assertEquals("ring", summary.get("exchange").asText(), summary.toString());
        assertEquals(2, summary.get("task_slots").asInt(), summary.toString());
    }
}
