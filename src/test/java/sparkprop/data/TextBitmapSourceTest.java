package sparkprop.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextBitmapSourceTest {
    @TempDir
    Path dir;
    private final Configuration conf = new Configuration();

    private void put(String folder, String name, byte[] text) throws Exception {
        Files.createDirectories(dir.resolve(folder));
        Files.write(dir.resolve(folder).resolve(name), text);
    }

    @Test
    void readsAFolderOrderedByLabelThenNumber() throws Exception {
        put("trainingDigits", "3_10.txt", Fixtures.bitmap(3));
        put("trainingDigits", "3_2.txt", Fixtures.bitmap(2));
        put("trainingDigits", "0_0.txt", Fixtures.bitmap(1));
        put("testDigits", "1_0.txt", Fixtures.bitmap(5));
        Dataset d = Dataset.open(dir.toString(), conf);
        assertEquals(1024, d.width());
        Examples train = d.train().read(conf, 0, 3);
        assertArrayEquals(new byte[]{0, 3, 3}, train.labels());
        byte[] expected = new byte[1024];
        TextBitmapSource.parse(Fixtures.bitmap(2), "x", expected, 0);
        assertArrayEquals(expected, java.util.Arrays.copyOfRange(train.pixels(), 1024, 2048), "3_2 before 3_10");
        assertEquals((byte) 255, train.pixels()[0], "bitmap 1 has its first bit set, so pixel 0 is 255");
    }

    @Test
    void readsTheSameFromAZip() throws Exception {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("trainingDigits/7_0.txt", Fixtures.bitmap(7));
        members.put("testDigits/2_0.txt", Fixtures.bitmap(9));
        Path zip = dir.resolve("digits.zip");
        Files.write(zip, Fixtures.zip(members));
        Dataset d = Dataset.open(zip.toString(), conf);
        assertEquals(1, d.train().count());
        assertArrayEquals(new byte[]{2}, d.test().read(conf, 0, 1).labels());
    }

    @Test
    void lineOfTheWrongLength() {
        String text = new String(Fixtures.bitmap(1), StandardCharsets.US_ASCII).replaceFirst("\r\n", "0\r\n");
        DataException e = assertThrows(DataException.class, () -> TextBitmapSource.parse(text.getBytes(), "f.txt", new byte[1024], 0));
        assertTrue(e.getMessage().contains("f.txt: line 1"), e.getMessage());
    }

    @Test
    void strayCharacter() {
        byte[] text = Fixtures.bitmap(1);
        text[40] = 'x';
        DataException e = assertThrows(DataException.class, () -> TextBitmapSource.parse(text, "f.txt", new byte[1024], 0));
        assertTrue(e.getMessage().contains("stray character 'x' on line 2"), e.getMessage());
    }

    @Test
    void missingLines() {
        byte[] text = java.util.Arrays.copyOf(Fixtures.bitmap(1), 34 * 31);
        DataException e = assertThrows(DataException.class, () -> TextBitmapSource.parse(text, "f.txt", new byte[1024], 0));
        assertTrue(e.getMessage().contains("31 lines"), e.getMessage());
    }

    @Test
    void fileNameWithoutLabel() throws Exception {
        put("trainingDigits", "digit.txt", Fixtures.bitmap(1));
        put("testDigits", "1_0.txt", Fixtures.bitmap(1));
        DataException e = assertThrows(DataException.class, () -> Dataset.open(dir.toString(), conf));
        assertTrue(e.getMessage().contains("'digit.txt' does not start with a label"), e.getMessage());
    }

    /** The real 32x32 set shipped beside the project. */
    @Test
    void readsTheSharedDigitsSet() throws Exception {
        Path zip = Path.of("../shared/data/digits-32x32.zip");
        assumeTrue(Files.exists(zip), "shared/data/digits-32x32.zip is not beside this checkout");
        Dataset d = Dataset.open(zip.toString(), conf);
        assertEquals(1934, d.train().count());
        assertEquals(946, d.test().count());
        Examples test = d.test().read(conf, 0, 946);
        int[] perClass = new int[10];
        for (int i = 0; i < test.count(); i++) perClass[test.label(i)]++;
        for (int c = 0; c < 10; c++) assertTrue(perClass[c] > 50, "class " + c + " has " + perClass[c] + " test digits");
    }
}
