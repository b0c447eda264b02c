package sparkprop.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.core.BadInputException;

class LocationTest {
    @TempDir
    Path dir;

    private static final Configuration CONF = new Configuration();

    @Test
    void localFilesAreReplacedWholeWithNoSideFiles() throws Exception {
        Location folder = Location.of(dir.resolve("run").toString(), CONF, "--out");
        assertFalse(folder.exists());
        assertEquals(dir.resolve("run").toString(), folder.toString(), "a local path reads as before");
        folder.mkdirs();
        Location file = folder.child("model.bin");
        file.write("first".getBytes(StandardCharsets.UTF_8));
        file.write("second".getBytes(StandardCharsets.UTF_8));
        assertEquals("second", new String(file.read(), StandardCharsets.UTF_8));
        // No .crc files from Hadoop's checksummed local filesystem, no temporary name left.
        assertEquals(List.of("model.bin"), folder.list());
        file.moveTo(folder.child("other.bin"));
        assertEquals(List.of("other.bin"), folder.list());
        assertEquals(List.of(), folder.child("absent").list());
    }

    @Test
    void hdfsFilesAreReplacedWholeAndNamedByTheirUri() throws Exception {
        String uri = MiniHdfs.uri("/location-test/run");
        Location folder = Location.of(uri, CONF, "--out");
        assertEquals(uri, folder.toString());
        folder.mkdirs();
        Location file = folder.child("checkpoint.bin");
        byte[] big = new byte[3 * (int) MiniHdfs.BLOCK_SIZE + 17];
        new java.util.Random(3).nextBytes(big);
        file.write("old".getBytes(StandardCharsets.UTF_8));
        file.write(big);
        assertArrayEquals(big, file.read());
        assertEquals(List.of("checkpoint.bin"), folder.list());
        file.moveTo(folder.child("checkpoint.previous.bin"));
        folder.child("checkpoint.bin").write("new".getBytes(StandardCharsets.UTF_8));
        file.moveTo(folder.child("checkpoint.previous.bin")); // replaces the target
        assertEquals(List.of("checkpoint.previous.bin"), folder.list());
        assertEquals("new", new String(folder.child("checkpoint.previous.bin").read(), StandardCharsets.UTF_8));
    }

    @Test
    void anUnknownSchemeIsOneClearLine() {
        BadInputException e = assertThrows(BadInputException.class, () -> Location.of("foo://bucket/runs/x", CONF, "--out"));
        assertEquals("--out foo://bucket/runs/x: no filesystem for the scheme 'foo' on the classpath (No FileSystem for scheme \"foo\")",
                e.getMessage());
        BadInputException s3 = assertThrows(BadInputException.class, () -> Location.of("s3a://bucket/model.bin", CONF, "--model"));
        assertTrue(s3.getMessage().startsWith("--model s3a://bucket/model.bin: no filesystem for the scheme 's3a'"), s3.getMessage());
        assertTrue(s3.getMessage().contains("hadoop-aws"), s3.getMessage());
    }

    @Test
    void aNameNodeNobodyRunsIsRefusedWithinAMinute() {
        long start = System.nanoTime();
        BadInputException e = assertThrows(BadInputException.class, () -> Location.of("hdfs://127.0.0.1:9/runs/x", CONF, "--out"));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(e.getMessage().startsWith("--out hdfs://127.0.0.1:9/runs/x: cannot reach its filesystem"), e.getMessage());
        assertTrue(seconds < 60, "answered in " + seconds + " s");
    }

    /** spark-submit's --conf spark.hadoop.* reach the driver as system properties: the Hadoop configuration outside Spark gets them. */
    @Test
    void sparkHadoopSettingsReachTheConfiguration() {
        System.setProperty("spark.hadoop.fs.sparkprop.test", "given");
        try {
            org.junit.jupiter.api.Assertions.assertEquals("given", Location.configuration().get("fs.sparkprop.test"));
        } finally {
            System.clearProperty("spark.hadoop.fs.sparkprop.test");
        }
        org.junit.jupiter.api.Assertions.assertNull(Location.configuration().get("fs.sparkprop.test"));
    }
}
