package sparkprop.storage;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import sparkprop.core.BadInputException;

/**
 * A file or folder the product reads or writes, on any Hadoop filesystem: a plain local path, or
 * {@code file://}, {@code hdfs://}, {@code s3a://} and whatever else has a FileSystem on
 * the classpath. Messages name the full URI.
 *
 * <p>Files are written whole. Where the filesystem's rename is atomic (HDFS, local) a file is
 * written under a temporary name ({@code .NAME.tmp}) and renamed over the target, so a reader sees
 * the old file or the new one. Object stores have no atomic rename (s3a's is a copy); there the
 * file is written in place, and it becomes visible whole when its upload completes. Either way a
 * crash never leaves a partly written file under the real name.
 */
public final class Location {
    /** How long a filesystem may take to answer the first question before it counts as unreachable. */
    static final long REACH_SECONDS = 40;
    /** Object stores: writing in place is atomic (the upload completes or nothing appears), rename is a copy. */
    private static final Set<String> OBJECT_STORES = Set.of("s3a", "s3", "s3n", "gs", "oss", "cos", "cosn", "obs", "wasb", "wasbs");

    private final FileSystem fs;
    private final Path path;

    private Location(FileSystem fs, Path path) {
        this.fs = fs;
        this.path = path;
    }

    /**
     * The Hadoop settings the product uses outside Spark's tasks: Hadoop's own (core-site.xml and
     * the like on the classpath) plus every {@code spark.hadoop.*} setting given to spark-submit or
     * in spark-defaults (which spark-submit hands the driver as system properties, where SparkConf
     * reads them too), exactly as Spark passes them to its own Hadoop configuration.
     */
    public static Configuration configuration() {
        Configuration conf = new Configuration();
        String prefix = "spark.hadoop.";
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith(prefix)) conf.set(key.substring(prefix.length()), System.getProperty(key));
        }
        return conf;
    }

    /**
     * Resolves {@code location} and asks its filesystem one question, so that an unknown scheme or
     * an unreachable NameNode is one clear {@link BadInputException} naming {@code what} (e.g.
     * "--out") before anything is written, within {@link #REACH_SECONDS}.
     */
    public static Location of(String location, Configuration conf, String what) {
        if (location == null || location.isBlank()) throw new BadInputException(what + ": expected a path");
        Path path;
        try {
            path = new Path(location);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(what + " " + location + ": not a valid path (" + e.getMessage() + ")");
        }
        FileSystem fs = ask(what + " " + location, path.toUri().getScheme(), () -> {
            FileSystem f = "hdfs".equals(path.toUri().getScheme()) ? hdfs(path, conf) : path.getFileSystem(conf);
            // Local files without Hadoop's .crc side files: the run folder holds what docs/training.md lists.
            return f instanceof LocalFileSystem local ? local.getRawFileSystem() : f;
        });
        Location resolved = new Location(fs, fs.makeQualified(path));
        ask(what + " " + resolved, fs.getUri().getScheme(), () -> fs.exists(resolved.path));
        return resolved;
    }

    /** Our own HDFS clients, one per NameNode (see {@link #hdfs}). */
    private static final java.util.concurrent.ConcurrentHashMap<String, FileSystem> HDFS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * An HDFS client that keeps writing when a DataNode of a file's pipeline dies and no spare can
     * replace it (a cluster of two or three DataNodes): Hadoop's default then fails the write, and
     * with it the run, although the block is still written to the DataNodes left
     * ({@code dfs.client.block.write.replace-datanode-on-failure.best-effort}; HDFS re-replicates it
     * later). Our own instance, not Hadoop's shared cache, whose first user's settings would win.
     */
    private static FileSystem hdfs(Path path, Configuration conf) throws IOException {
        java.net.URI uri = path.getFileSystem(conf).getUri();
        try {
            return HDFS.computeIfAbsent(uri.toString(), key -> {
                Configuration tolerant = new Configuration(conf);
                // Unless the user set it: a value from hdfs-default.xml (loaded once HDFS's classes are, which Hadoop 3.5 does
                // before this runs) is not a choice, so setIfUnset would keep Hadoop's default.
                String bestEffort = "dfs.client.block.write.replace-datanode-on-failure.best-effort";
                String[] sources = conf.getPropertySources(bestEffort);
                boolean chosen = sources != null && java.util.Arrays.stream(sources).noneMatch(s -> s.endsWith("-default.xml"));
                if (!chosen) tolerant.set(bestEffort, "true");
                try {
                    return FileSystem.newInstance(uri, tolerant);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private interface Question<T> {
        T ask() throws IOException;
    }

    /** Runs one filesystem call with a deadline; an unknown scheme or no answer is bad input, not a hang. */
    private static <T> T ask(String what, String scheme, Question<T> question) {
        ExecutorService single = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sparkprop-storage-probe");
            t.setDaemon(true); // a client still retrying must not keep the JVM alive
            return t;
        });
        try {
            return single.submit(question::ask).get(REACH_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new BadInputException(what + ": its filesystem did not answer within " + REACH_SECONDS + " s (is it running and reachable?)");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            // Hadoop says "No FileSystem for scheme" when nothing is registered, or fails to load a
            // class configured for it (s3a is known to Hadoop but lives in hadoop-aws).
            if (cause instanceof org.apache.hadoop.fs.UnsupportedFileSystemException
                    || cause instanceof RuntimeException && cause.getCause() instanceof ClassNotFoundException) {
                                throw new BadInputException(what + ": no filesystem for the scheme '" + scheme + "' on the classpath ("
                        + firstLine(cause) + ")" + (scheme != null && scheme.startsWith("s3")
                        ? "; s3a needs hadoop-aws, e.g. spark-submit --packages org.apache.hadoop:hadoop-aws:3.4.2" : ""));
            }
            if (cause instanceof RuntimeException r) throw r;
            throw new BadInputException(what + ": cannot reach its filesystem (" + firstLine(cause) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BadInputException(what + ": interrupted while reaching its filesystem");
        } finally {
            single.shutdownNow();
        }
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    public Location child(String name) {
        return new Location(fs, new Path(path, name));
    }

    public String name() {
        return path.getName();
    }

    /** The folder holding this one, or null at the filesystem's root. */
    public Location parent() {
        Path up = path.getParent();
        return up == null ? null : new Location(fs, up);
    }

    /** True if this is {@code other} or lies anywhere inside it (same filesystem, same or deeper path). */
    public boolean isSameOrInside(Location other) {
        java.net.URI mine = path.toUri(), theirs = other.path.toUri();
        if (!java.util.Objects.equals(mine.getScheme(), theirs.getScheme()) || !java.util.Objects.equals(mine.getAuthority(), theirs.getAuthority())) {
            return false;
        }
        String a = mine.getPath(), b = theirs.getPath();
        return a.equals(b) || a.startsWith(b.endsWith("/") ? b : b + "/");
    }

    /** The full URI, e.g. {@code hdfs://nn:8020/runs/x/model.bin}; a local file as its absolute path. */
    @Override
    public String toString() {
        return "file".equals(path.toUri().getScheme()) ? path.toUri().getPath() : path.toString();
    }

    public boolean exists() throws IOException {
        return fs.exists(path);
    }

    public boolean isFile() throws IOException {
        return fs.isFile(path);
    }

    public boolean isDirectory() throws IOException {
        return fs.isDirectory(path);
    }

    /** The names in this folder (none if it does not exist). */
    public List<String> list() throws IOException {
        List<String> names = new ArrayList<>();
        try {
            for (FileStatus s : fs.listStatus(path)) names.add(s.getPath().getName());
        } catch (FileNotFoundException e) {
            return names;
        }
        return names;
    }

    public void mkdirs() throws IOException {
        if (!fs.mkdirs(path)) throw new IOException(this + ": cannot create the folder");
    }

    public byte[] read() throws IOException {
        try (InputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }

    /** A stream of the file's bytes, for reading only its start. */
    public InputStream open() throws IOException {
        return fs.open(path);
    }

    public void delete() throws IOException {
        fs.delete(path, true);
    }

    /**
     * Creates this file with {@code bytes} only if no file of this name exists, and says whether it
     * did: one of two processes racing for the name wins. Atomic on local disks and HDFS (the
     * NameNode refuses an existing name); elsewhere a check and a create.
     */
    public boolean createIfAbsent(byte[] bytes) throws IOException {
        try {
            return createIfAbsentOrFail(bytes);
        } catch (IOException | org.apache.hadoop.fs.FSError e) {
            throw new CannotWriteException(toString(), e);
        }
    }

    private boolean createIfAbsentOrFail(byte[] bytes) throws IOException {
        if (fs instanceof RawLocalFileSystem local) {
            try {
                java.nio.file.Files.write(local.pathToFile(path).toPath(), bytes, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        if (fs.exists(path)) return false;
        try (OutputStream out = fs.create(path, false)) {
            out.write(bytes);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }

    /** Writes the whole file so that no reader ever sees part of it (see the class comment). */
    public void write(byte[] bytes) throws IOException {
        if (OBJECT_STORES.contains(fs.getUri().getScheme())) {
            put(path, bytes);
            return;
        }
        Path tmp = temporary();
        try {
            put(tmp, bytes);
            try {
                replaceWith(tmp, path);
            } catch (IOException e) {
                throw new CannotWriteException(toString(), e);
            }
        } catch (CannotWriteException e) {
            try {
                fs.delete(tmp, false); // what a full disk left of it, so that it frees its space
            } catch (IOException | RuntimeException ignored) {
                // the write's failure is the one to report
            }
            throw e;
        }
    }

    /**
     * Renames this file to {@code target}, replacing it: atomically on HDFS and local files; on
     * other filesystems the target is deleted first, so for a moment neither name holds it.
     */
    public void moveTo(Location target) throws IOException {
        replaceWith(path, target.path);
    }

    private Path temporary() {
        return new Path(path.getParent(), "." + path.getName() + ".tmp");
    }

    /** True for the temporary names {@link #write} uses, which a crash can leave behind. */
    public static boolean isTemporary(String name) {
        return name.startsWith(".") && name.endsWith(".tmp");
    }

    private void put(Path file, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(file, true)) {
            out.write(bytes);
        } catch (IOException | org.apache.hadoop.fs.FSError e) {
            // FSError: an Error, which no command handler would see, for what is the environment's (a full disk).
            throw new CannotWriteException(toString(), e);
        }
    }

    private void replaceWith(Path from, Path to) throws IOException {
        if (fs instanceof DistributedFileSystem hdfs) {
            hdfs.rename(from, to, Options.Rename.OVERWRITE);
        } else if (fs instanceof RawLocalFileSystem local) {
            java.nio.file.Files.move(local.pathToFile(from).toPath(), local.pathToFile(to).toPath(), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } else {
            fs.delete(to, false);
            if (!fs.rename(from, to)) throw new IOException("cannot rename " + from + " to " + to);
        }
    }
}
