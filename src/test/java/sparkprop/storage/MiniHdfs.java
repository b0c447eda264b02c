package sparkprop.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * One real HDFS for the whole test JVM: a NameNode and a DataNode (Hadoop's MiniDFSCluster)
 * listening on 127.0.0.1, so other processes (scripts, a cluster's driver and executors) reach it
 * too. Blocks are 1 MiB, HDFS's smallest, so an MNIST-sized IDX file spans many blocks and shard
 * byte ranges cross block boundaries. Started on first use, stopped when the JVM exits.
 */
public final class MiniHdfs {
    public static final long BLOCK_SIZE = 1 << 20;
    private static MiniDFSCluster cluster;

    private MiniHdfs() {
    }

    public static synchronized MiniDFSCluster get() throws IOException {
        if (cluster == null) {
            Path base = Files.createTempDirectory("sparkprop-minihdfs");
            Configuration conf = new Configuration();
            conf.setLong("dfs.blocksize", BLOCK_SIZE);
            conf.setInt("dfs.replication", 1);
            conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
            long started = System.nanoTime();
            cluster = new MiniDFSCluster.Builder(conf, base.toFile()).numDataNodes(1).build();
            cluster.waitActive();
            System.out.printf("MiniDFSCluster up at %s in %.1f s%n", uri(""), (System.nanoTime() - started) / 1e9);
            MiniDFSCluster started0 = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(started0::shutdown));
        }
        return cluster;
    }

    /**
     * A separate HDFS of its own, for a test that breaks it: {@code dataNodes} DataNodes, every
     * block kept {@code replication} times, 1 MiB blocks. The caller shuts it down.
     */
    public static MiniDFSCluster startSeparate(int dataNodes, int replication) throws IOException {
        Path base = Files.createTempDirectory("sparkprop-minihdfs-" + dataNodes);
        Configuration conf = new Configuration();
        conf.setLong("dfs.blocksize", BLOCK_SIZE);
        conf.setInt("dfs.replication", replication);
        conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
        MiniDFSCluster separate = new MiniDFSCluster.Builder(conf, base.toFile()).numDataNodes(dataNodes).build();
        separate.waitActive();
        return separate;
    }

    /** hdfs://127.0.0.1:PORT + path. */
    public static String uri(String path) throws IOException {
        return "hdfs://127.0.0.1:" + get().getNameNodePort() + path;
    }

    public static FileSystem fs() throws IOException {
        return get().getFileSystem();
    }

    public static byte[] read(String uri) throws IOException {
        try (var in = fs().open(new org.apache.hadoop.fs.Path(uri))) {
            return in.readAllBytes();
        }
    }

    public static int lines(String uri) throws IOException {
        return (int) new String(read(uri), java.nio.charset.StandardCharsets.UTF_8).lines().count();
    }

    /** The names in an HDFS folder, sorted. */
    public static java.util.SortedSet<String> names(String uri) throws IOException {
        java.util.SortedSet<String> names = new java.util.TreeSet<>();
        for (org.apache.hadoop.fs.FileStatus s : fs().listStatus(new org.apache.hadoop.fs.Path(uri))) names.add(s.getPath().getName());
        return names;
    }

    /** Copies a local file or folder (one level) to HDFS with 1 MiB blocks; returns its URI. */
    public static String upload(Path local, String path) throws IOException {
        FileSystem fs = fs();
        fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(path));
        return uri(path);
    }
}
