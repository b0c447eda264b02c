package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Fixtures;
import sparkprop.storage.MiniHdfs;

/**
 * A DataNode lost while a run reads its data from HDFS and writes its run folder there (two
 * DataNodes, every block on both): the run carries on with the other copy and ends in the bits of
 * the same run on local files.
 */
class DataNodeLossTest {
    @TempDir
    Path dir;

    @Test
    void aRunThatLosesADataNodeEndsInTheSameBits() throws Exception {
        Path data = Fixtures.syntheticMnist(dir.resolve("mnist"), 6000, 500, 28, false, 17);
        String[] training = {"--layers", "784,32,10", "--epochs", "3", "--batch-size", "100", "--seed", "5", "--checkpoint-every", "10",
                "--master", "local[2]"};
        Path local = dir.resolve("local");
        assertEquals(0, CliRun.of(args(data.toString(), local.toString(), training)).exitCode());

        MiniDFSCluster hdfs = MiniHdfs.startSeparate(2, 2);
        try {
            FileSystem fs = hdfs.getFileSystem();
            String root = "hdfs://127.0.0.1:" + hdfs.getNameNodePort();
            fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(data.toUri()), new org.apache.hadoop.fs.Path("/mnist"));
            org.apache.hadoop.fs.Path images = new org.apache.hadoop.fs.Path("/mnist/train-images-idx3-ubyte");
            assertEquals(2, fs.getFileStatus(images).getReplication());
            assertTrue(fs.getFileBlockLocations(images, 0, Long.MAX_VALUE).length > 3, "the data spans several blocks");
            String out = root + "/runs/datanode-lost";
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.of(args(root + "/mnist", out, training)));
            // The run has claimed its folder and is about to read the data: one of the two DataNodes goes.
            org.apache.hadoop.fs.Path claim = new org.apache.hadoop.fs.Path("/runs/datanode-lost/.sparkprop-run");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!fs.exists(claim) && !run.isDone() && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(10);
            assertTrue(fs.exists(claim), "the run started");
            MiniDFSCluster.DataNodeProperties stopped = hdfs.stopDataNode(0);
            assertTrue(stopped != null && !run.isDone(), "a DataNode stopped while the run ran");
            CliRun finished = run.get(300, TimeUnit.SECONDS);
            assertEquals(0, finished.exitCode(), finished.err());
            assertArrayEquals(Files.readAllBytes(local.resolve("model.bin")), read(fs, "/runs/datanode-lost/model.bin"));
            assertEquals(3, new String(read(fs, "/runs/datanode-lost/metrics.jsonl")).lines().count());
        } finally {
            hdfs.shutdown();
        }
    }

    private static String[] args(String data, String out, String... more) {
        String[] base = {"train", "--data", data, "--out", out};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private static byte[] read(FileSystem fs, String path) throws Exception {
        try (var in = fs.open(new org.apache.hadoop.fs.Path(path))) {
            return in.readAllBytes();
        }
    }
}
