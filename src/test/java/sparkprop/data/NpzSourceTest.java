package sparkprop.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzSourceTest {
    @TempDir
    Path dir;
    private final Configuration conf = new Configuration();

    private Map<String, byte[]> members() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("x_test.npy", Fixtures.npy("|u1", new long[]{1, 2, 2}, new byte[]{9, 9, 9, 9}));
        m.put("x_train.npy", Fixtures.npy("|u1", new long[]{2, 2, 2}, new byte[]{1, 2, 3, 4, 5, 6, 7, 8}));
        // Keras stores uint8 labels; int64 labels (as NumPy users often save) must work too.
        m.put("y_train.npy", Fixtures.npy("<i8", new long[]{2}, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(3).putLong(8).array()));
        m.put("y_test.npy", Fixtures.npy("|u1", new long[]{1}, new byte[]{5}));
        return m;
    }

    private Dataset write(Map<String, byte[]> members) throws Exception {
        Path file = dir.resolve("mnist.npz");
        Files.write(file, Fixtures.zip(members));
        return Dataset.open(file.toString(), conf);
    }

    @Test
    void readsKerasLayout() throws Exception {
        Dataset d = write(members());
        assertEquals(2, d.train().count());
        assertEquals(4, d.width());
        Examples train = d.train().read(conf, 0, 2);
        assertArrayEquals(new byte[]{1, 2, 3, 4, 5, 6, 7, 8}, train.pixels());
        assertArrayEquals(new byte[]{3, 8}, train.labels());
        assertArrayEquals(new byte[]{5}, d.test().read(conf, 0, 1).labels());
    }

    @Test
    void missingArrayIsNamed() {
        Map<String, byte[]> m = members();
        m.remove("y_test.npy");
        DataException e = assertThrows(DataException.class, () -> write(m));
        assertTrue(e.getMessage().contains("no array y_test"), e.getMessage());
    }

    @Test
    void floatImagesAreRefused() {
        Map<String, byte[]> m = members();
        m.put("x_train.npy", Fixtures.npy("<f4", new long[]{2, 1}, new byte[8]));
        DataException e = assertThrows(DataException.class, () -> write(m));
        assertTrue(e.getMessage().contains("'<f4'"), e.getMessage());
    }

    @Test
    void labelCountMustMatchImages() {
        Map<String, byte[]> m = members();
        m.put("y_train.npy", Fixtures.npy("|u1", new long[]{3}, new byte[]{1, 2, 3}));
        DataException e = assertThrows(DataException.class, () -> write(m));
        assertTrue(e.getMessage().contains("y_train has [3]"), e.getMessage());
    }

    @Test
    void truncatedArrayData() throws Exception {
        Map<String, byte[]> m = members();
        byte[] x = Fixtures.npy("|u1", new long[]{2, 2, 2}, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        m.put("x_train.npy", java.util.Arrays.copyOf(x, x.length - 2));
        Dataset d = write(m);
        DataException e = assertThrows(DataException.class, () -> d.train().read(conf, 0, 2));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void notAZip() throws Exception {
        Path file = dir.resolve("broken.npz");
        Files.write(file, "not a zip".getBytes());
        DataException e = assertThrows(DataException.class, () -> Dataset.open(file.toString(), conf));
        assertTrue(e.getMessage().contains("broken.npz"), e.getMessage());
    }

    @Test
    void python2ShapesReadAndBadShapesAreNamed() throws Exception {
        Map<String, byte[]> m = members();
        m.put("x_train.npy", Fixtures.npy("|u1", "2L, 2L, 2L", new byte[]{1, 2, 3, 4, 5, 6, 7, 8}));
        m.put("y_train.npy", Fixtures.npy("|u1", "2L,", new byte[]{3, 8}));
        Dataset d = write(m);
        assertEquals(2, d.train().count());
        assertEquals(4, d.width());

        for (String shape : new String[]{"2, two, 2", "2, -1", "4294967296, 4294967296, 4294967296"}) {
            m.put("x_train.npy", Fixtures.npy("|u1", shape, new byte[]{1, 2, 3, 4, 5, 6, 7, 8}));
            DataException e = assertThrows(DataException.class, () -> write(m), shape);
            assertTrue(e.getMessage().contains("x_train") && e.getMessage().contains("shape (" + shape + ")"), e.getMessage());
        }
        m.put("x_train.npy", Fixtures.npy("|u1", new long[]{0, 4}, new byte[0]));
        m.put("y_train.npy", Fixtures.npy("|u1", new long[]{0}, new byte[0]));
        DataException none = assertThrows(DataException.class, () -> write(m));
        assertTrue(none.getMessage().contains("is not usable"), none.getMessage());
    }
}
