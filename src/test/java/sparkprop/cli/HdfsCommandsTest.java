package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Fixtures;
import sparkprop.storage.MiniHdfs;

/**
 * The commands against a real HDFS (a MiniDFSCluster with 1 MiB blocks): data read from it, run
 * folders, models and evaluation output written to it, and the same bits as on local files.
 */
class HdfsCommandsTest {
    @TempDir
    static Path dir;
    static Path localData;
    static String hdfsData;
    static Path localRun;
    static String hdfsRun;

    static String[] train(String data, String out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data, "--layers", "784,32,10", "--epochs", "3", "--batch-size", "100",
                "--shards", "4", "--seed", "5", "--learning-rate", "0.1", "--master", "local[2]", "--out", out));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @BeforeAll
    static void trainOnLocalFilesAndOnHdfs() throws Exception {
        localData = Fixtures.syntheticMnist(dir.resolve("mnist"), 3000, 500, 28, false, 17);
        hdfsData = MiniHdfs.upload(localData, "/data/mnist");
        localRun = dir.resolve("local-run");
        assertEquals(0, CliRun.of(train(localData.toString(), localRun.toString())).exitCode());
        hdfsRun = MiniHdfs.uri("/runs/first");
        long start = System.nanoTime();
        CliRun onHdfs = CliRun.of(train(hdfsData, hdfsRun));
        assertEquals(0, onHdfs.exitCode(), onHdfs.err());
        System.out.printf("training on HDFS: %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertTrue(onHdfs.out().contains("model:   " + hdfsRun + "/model.bin"), onHdfs.out());
    }

    @Test
    void theDataSpansManyBlocksAndShardsCrossThem() throws Exception {
        FileSystem fs = MiniHdfs.fs();
        FileStatus images = fs.getFileStatus(new org.apache.hadoop.fs.Path(hdfsData + "/train-images-idx3-ubyte"));
        assertEquals(MiniHdfs.BLOCK_SIZE, images.getBlockSize());
        int blocks = fs.getFileBlockLocations(images, 0, images.getLen()).length;
        assertTrue(blocks >= 3, blocks + " blocks");
        // Four shards of 750 examples: each shard's byte range is 588,000 bytes, so block edges fall inside shards.
        assertTrue(750L * 784 % MiniHdfs.BLOCK_SIZE != 0 && images.getLen() > 2 * MiniHdfs.BLOCK_SIZE);
    }

    @Test
    void aRunOnHdfsEndsWithTheBitsOfTheSameRunOnLocalFiles() throws Exception {
        assertArrayEquals(Files.readAllBytes(localRun.resolve("model.bin")), MiniHdfs.read(hdfsRun + "/model.bin"));
        assertEquals(Set.of(".sparkprop-run", "model.bin", "metrics.jsonl", "summary.json", "checkpoint.bin", "checkpoint.previous.bin",
                "curves.png", "report.html"), MiniHdfs.names(hdfsRun), "the whole run folder (claimed by the run), and no temporary files");
        assertEquals(Files.readAllLines(localRun.resolve("metrics.jsonl")).size(), MiniHdfs.lines(hdfsRun + "/metrics.jsonl"));
        JsonNode summary = new ObjectMapper().readTree(MiniHdfs.read(hdfsRun + "/summary.json"));
        assertEquals(hdfsRun + "/model.bin", summary.get("model_file").asText());
        assertEquals(hdfsRun, summary.get("config").get("out").asText());
    }

    @Test
    void evaluatePredictAndExportModelReadTheModelFromHdfs() throws Exception {
        String model = hdfsRun + "/model.bin";
        String out = MiniHdfs.uri("/eval/first");
        CliRun eval = CliRun.of("evaluate", "--model", model, "--data", hdfsData, "--out", out, "--master", "local[2]");
        assertEquals(0, eval.exitCode(), eval.err());
        JsonNode metrics = new ObjectMapper().readTree(MiniHdfs.read(out + "/metrics.json"));
        JsonNode summary = new ObjectMapper().readTree(MiniHdfs.read(hdfsRun + "/summary.json"));
        assertEquals(summary.get("test_accuracy").asDouble(), metrics.get("accuracy").asDouble(), 1e-12);
        assertEquals(model, metrics.get("model").asText());
        assertTrue(MiniHdfs.names(out).containsAll(Set.of("metrics.json", "report.html")), MiniHdfs.names(out).toString());

        Path pictures = dir.resolve("pictures");
        assertEquals(0, CliRun.of("export-images", "--data", hdfsData, "--out", pictures.toString(), "--limit", "3").exitCode());
        CliRun predict = CliRun.of("predict", "--model", model, pictures.resolve("00000_" + label0() + ".png").toString());
        assertEquals(0, predict.exitCode(), predict.err());
        assertTrue(predict.out().contains("00000_"), predict.out());

        String npz = MiniHdfs.uri("/export/model.npz");
        CliRun export = CliRun.of("export-model", "--model", model, "--out", npz);
        assertEquals(0, export.exitCode(), export.err());
        byte[] bytes = MiniHdfs.read(npz);
        assertTrue(bytes.length > 4 && bytes[0] == 'P' && bytes[1] == 'K', "an .npz is a zip");
        // And back: the imported model is the same file bit for bit.
        String back = MiniHdfs.uri("/export/model.bin");
        assertEquals(0, CliRun.of("export-model", "--from-npz", npz, "--out", back).exitCode());
        assertArrayEquals(MiniHdfs.read(model), MiniHdfs.read(back));
    }

    private static String label0() throws Exception {
        try (var files = Files.list(dir.resolve("pictures"))) {
            String name = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("00000_")).findFirst().orElseThrow();
            return name.substring(6, name.indexOf('.'));
        }
    }

    @Test
    void exportImagesWritesToHdfs() throws Exception {
        String out = MiniHdfs.uri("/pictures");
        assertEquals(0, CliRun.of("export-images", "--data", hdfsData, "--out", out, "--limit", "5").exitCode());
        assertEquals(6, MiniHdfs.names(out).size(), MiniHdfs.names(out).toString());
        assertTrue(MiniHdfs.names(out).contains("contact-sheet.png"));
    }

    @Test
    void aConfigFileOnHdfsIsRead() throws Exception {
        String config = MiniHdfs.uri("/conf/small.properties");
        try (var o = MiniHdfs.fs().create(new org.apache.hadoop.fs.Path(config))) {
            o.write("epochs=1\nlayers=784,8,10\n".getBytes());
        }
        String out = MiniHdfs.uri("/runs/from-config");
        CliRun r = CliRun.of("train", "--config", config, "--data", hdfsData, "--master", "local[2]", "--out", out);
        assertEquals(0, r.exitCode(), r.err());
        JsonNode summary = new ObjectMapper().readTree(MiniHdfs.read(out + "/summary.json"));
        assertEquals("784,8,10", summary.get("config").get("layers").asText());
        assertEquals(1, summary.get("epochs").asInt());
    }

    @Test
    void resumeIfExistsStartsThenContinuesAnHdfsRunToTheSameBits() throws Exception {
        String out = MiniHdfs.uri("/runs/supervised");
        CliRun first = CliRun.of(train(hdfsData, out, "--resume-if-exists", "--stop-after", "1"));
        assertEquals(0, first.exitCode(), first.err());
        CliRun second = CliRun.of(train(hdfsData, out, "--resume-if-exists"));
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(second.out().contains("continuing the run in " + out + " after epoch 1"), second.out());
        assertArrayEquals(Files.readAllBytes(localRun.resolve("model.bin")), MiniHdfs.read(out + "/model.bin"));
        // Once more after the end: nothing left to train, the folder is finished again and the model unchanged.
        CliRun third = CliRun.of(train(hdfsData, out, "--resume-if-exists"));
        assertEquals(0, third.exitCode(), third.err());
        assertTrue(third.out().contains("after epoch 3"), third.out());
        assertArrayEquals(Files.readAllBytes(localRun.resolve("model.bin")), MiniHdfs.read(out + "/model.bin"));
        assertEquals(3, MiniHdfs.lines(out + "/metrics.jsonl"));
    }

    @Test
    void resumeIfExistsRefusesAnotherConfigurationAndForeignFilesTouchingNothing() throws Exception {
        byte[] checkpoint = MiniHdfs.read(hdfsRun + "/checkpoint.bin");
        CliRun other = CliRun.of(train(hdfsData, hdfsRun, "--resume-if-exists", "--momentum", "0.8"));
        assertEquals(2, other.exitCode());
        assertTrue(other.errorLines().contains("--resume-if-exists found a run of another configuration (momentum 0.9 there, 0.8 here)"),
                other.err());
        assertArrayEquals(checkpoint, MiniHdfs.read(hdfsRun + "/checkpoint.bin"));

        String foreign = MiniHdfs.uri("/runs/foreign");
        try (var o = MiniHdfs.fs().create(new org.apache.hadoop.fs.Path(foreign + "/notes.txt"))) {
            o.write("mine".getBytes());
        }
        CliRun refused = CliRun.of(train(hdfsData, foreign, "--resume-if-exists"));
        assertEquals(2, refused.exitCode());
        assertTrue(refused.errorLines().contains("found files that are not a sparkprop run"), refused.err());
        assertEquals(Set.of("notes.txt"), MiniHdfs.names(foreign));
    }

    @Test
    void anUnreachableNameNodeIsExitTwoWithinAMinuteWritingNothing() {
        long start = System.nanoTime();
        CliRun r = CliRun.of(train(localData.toString(), "hdfs://127.0.0.1:9/runs/x"));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(2, r.exitCode());
        assertEquals("error: --out hdfs://127.0.0.1:9/runs/x: cannot reach its filesystem", r.errorLines().split(" \\(")[0]);
        assertTrue(seconds < 60, seconds + " s");
        assertFalse(Files.exists(Path.of("hdfs:")), "no local folder named after the scheme");
        CliRun unknown = CliRun.of("evaluate", "--model", "nosuch://x/model.bin", "--data", localData.toString());
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.errorLines().startsWith("error: --model nosuch://x/model.bin: no filesystem for the scheme 'nosuch'"), unknown.err());
    }
}
