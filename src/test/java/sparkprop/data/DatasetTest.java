package sparkprop.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
    @TempDir
    Path dir;
    private final Configuration conf = new Configuration();

    @Test
    void detectsAnIdxFolderRawOrGzipped() throws Exception {
        Fixtures.syntheticMnist(dir.resolve("raw"), 20, 10, 4, false, 1);
        Fixtures.syntheticMnist(dir.resolve("gz"), 20, 10, 4, true, 1);
        Dataset raw = Dataset.open(dir.resolve("raw").toString(), conf);
        Dataset gz = Dataset.open("file://" + dir.resolve("gz"), conf);
        assertInstanceOf(IdxSource.class, raw.train());
        assertTrue(raw.train().splittable());
        assertFalse(gz.train().splittable());
        assertEquals(20, gz.train().count());
        assertEquals(10, gz.test().count());
        assertEquals(16, gz.width());
        assertTrue(java.util.Arrays.equals(raw.test().read(conf, 0, 10).pixels(), gz.test().read(conf, 0, 10).pixels()));
    }

    @Test
    void missingPathIsNamed() {
        DataException e = assertThrows(DataException.class, () -> Dataset.open(dir.resolve("nope").toString(), conf));
        assertTrue(e.getMessage().contains("nope: no such file or folder"), e.getMessage());
    }

    @Test
    void folderWithoutDataSaysWhatItNeeds() throws Exception {
        Files.writeString(dir.resolve("readme.txt"), "hi");
        DataException e = assertThrows(DataException.class, () -> Dataset.open(dir.toString(), conf));
        assertTrue(e.getMessage().contains("no train-images-idx3-ubyte file"), e.getMessage());
    }
}
