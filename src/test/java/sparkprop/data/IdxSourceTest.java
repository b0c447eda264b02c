package sparkprop.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IDX reader on files of a few dozen bytes, valid and broken. */
class IdxSourceTest {
    @TempDir
    Path dir;
    private final Configuration conf = new Configuration();

    private final byte[] pixels = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; // 3 images of 2x2
    private final byte[] labels = {7, 0, 9};

    private IdxSource open(byte[] images, byte[] labelFile, String suffix) throws Exception {
        Path i = dir.resolve("train-images-idx3-ubyte" + suffix), l = dir.resolve("train-labels-idx1-ubyte" + suffix);
        Files.write(i, images);
        Files.write(l, labelFile);
        return IdxSource.open(conf, new org.apache.hadoop.fs.Path(i.toUri()), new org.apache.hadoop.fs.Path(l.toUri()));
    }

    private String failure(byte[] images, byte[] labelFile, String suffix) {
        return assertThrows(DataException.class, () -> open(images, labelFile, suffix).read(conf, 0, 3)).getMessage();
    }

    @Test
    void readsAByteRangeOfRawFiles() throws Exception {
        IdxSource s = open(Fixtures.idxImages(3, 2, 2, pixels), Fixtures.idxLabels(labels), "");
        assertEquals(3, s.count());
        assertEquals(4, s.width());
        assertTrue(s.splittable());
        Examples middle = s.read(conf, 1, 2);
        assertArrayEquals(new byte[]{5, 6, 7, 8, 9, 10, 11, 12}, middle.pixels());
        assertArrayEquals(new byte[]{0, 9}, middle.labels());
    }

    @Test
    void readsGzippedFilesWhole() throws Exception {
        IdxSource s = open(Fixtures.gzip(Fixtures.idxImages(3, 2, 2, pixels)), Fixtures.gzip(Fixtures.idxLabels(labels)), ".gz");
        assertFalse(s.splittable());
        Examples all = s.read(conf, 0, 3);
        assertArrayEquals(pixels, all.pixels());
        assertArrayEquals(labels, all.labels());
        assertArrayEquals(new byte[]{9, 10, 11, 12}, s.read(conf, 2, 1).pixels());
    }

    @Test
    void wrongMagicIsNamedWithTheValueFound() {
        String m = failure(Fixtures.idxImages(0x00000804, 3, 2, 2, pixels), Fixtures.idxLabels(labels), "");
        assertTrue(m.contains("train-images-idx3-ubyte") && m.contains("0x00000804"), m);
    }

    @Test
    void wrongDimensionCountIsNamed() {
        String m = failure(Fixtures.idxImages(0x00000802, 3, 2, 2, pixels), Fixtures.idxLabels(labels), "");
        assertTrue(m.contains("2 dimensions, expected 3"), m);
    }

    @Test
    void labelsFileInPlaceOfImagesIsRecognised() {
        String m = failure(Fixtures.idxLabels(labels), Fixtures.idxLabels(labels), "");
        assertTrue(m.contains("a labels file"), m);
    }

    @Test
    void countMismatchBetweenImagesAndLabels() {
        String m = failure(Fixtures.idxImages(3, 2, 2, pixels), Fixtures.idxLabels(new byte[]{1, 2}), "");
        assertTrue(m.contains("3 images") && m.contains("2 labels"), m);
    }

    @Test
    void truncatedRawFile() {
        byte[] images = Fixtures.idxImages(3, 2, 2, pixels);
        String m = failure(Arrays.copyOf(images, images.length - 1), Fixtures.idxLabels(labels), "");
        assertTrue(m.contains("truncated"), m);
    }

    @Test
    void truncatedGzippedFile() throws Exception {
        byte[] images = Fixtures.idxImages(3, 2, 2, pixels);
        String m = failure(Fixtures.gzip(Arrays.copyOf(images, images.length - 3)), Fixtures.gzip(Fixtures.idxLabels(labels)), ".gz");
        assertTrue(m.contains("truncated"), m);
    }

    @Test
    void corruptedGzip() throws Exception {
        byte[] gz = Fixtures.gzip(Fixtures.idxImages(3, 2, 2, pixels));
        for (int i = 12; i < gz.length - 8; i++) gz[i] ^= 0x5A;
        String m = failure(gz, Fixtures.gzip(Fixtures.idxLabels(labels)), ".gz");
        assertTrue(m.contains("train-images-idx3-ubyte.gz"), m);
    }

    @Test
    void emptyFile() {
        String m = failure(new byte[0], Fixtures.idxLabels(labels), "");
        assertTrue(m.contains("is empty"), m);
    }

    @Test
    void headerOnly() {
        String m = failure(new byte[]{0, 0, 8, 3, 0, 0}, Fixtures.idxLabels(labels), "");
        assertTrue(m.contains("truncated IDX header"), m);
    }

    @Test
    void hugeClaimedCountFailsWithoutAllocating() {
        String m = failure(Fixtures.idxImages(Integer.MAX_VALUE, 28, 28, pixels), Fixtures.idxLabels(labels), "");
        assertTrue(m.contains("2147483647 images"), m);
    }

    @Test
    void zeroOrNegativeDimensions() {
        String m = failure(Fixtures.idxImages(3, 0, 2, pixels), Fixtures.idxLabels(labels), "");
        assertTrue(m.contains("must be positive"), m);
    }

    @Test
    void directoryWhereAFileIsExpected() throws Exception {
        Files.createDirectories(dir.resolve("train-images-idx3-ubyte"));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), Fixtures.idxLabels(labels));
        DataException e = assertThrows(DataException.class, () -> IdxSource.open(conf,
                new org.apache.hadoop.fs.Path(dir.resolve("train-images-idx3-ubyte").toUri()),
                new org.apache.hadoop.fs.Path(dir.resolve("train-labels-idx1-ubyte").toUri())));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void labelOutOfRangeIsNamedWithItsIndex() throws Exception {
        Examples e = open(Fixtures.idxImages(3, 2, 2, pixels), Fixtures.idxLabels(new byte[]{1, 12, 3}), "").read(conf, 0, 3);
        DataException x = assertThrows(DataException.class, () -> e.checkLabels(10, "train-labels", 100));
        assertTrue(x.getMessage().contains("label 12 of example 101"), x.getMessage());
    }
}
