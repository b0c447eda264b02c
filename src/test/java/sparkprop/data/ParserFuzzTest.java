package sparkprop.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of random corruptions of valid IDX files (raw and gzipped): every case must end in a
 * correct read or a DataException naming the file, never another exception, a hang or a huge
 * allocation (headers claiming up to 2^31 images are among the mutations).
 */
class ParserFuzzTest {
    static final int CASES = 3000;
    @TempDir
    Path dir;
    private final Configuration conf = new Configuration();

    /** Mutations that real damage produces: flipped bytes, truncation, garbage appended, header fields overwritten. */
    static byte[] mutate(byte[] valid, SplittableRandom r) {
        byte[] b = valid.clone();
        switch (r.nextInt(5)) {
            case 0 -> { for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255)); }
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 2 -> {
                b = Arrays.copyOf(b, b.length + 1 + r.nextInt(20));
                for (int i = valid.length; i < b.length; i++) b[i] = (byte) r.nextInt(256);
            }
            case 3 -> {
                int field = 4 * r.nextInt(Math.min(4, b.length / 4));
                int value = switch (r.nextInt(4)) {
                    case 0 -> Integer.MAX_VALUE;
                    case 1 -> Integer.MIN_VALUE + r.nextInt(10);
                    case 2 -> r.nextInt(100);
                    default -> r.nextInt();
                };
                ByteBuffer.wrap(b).putInt(field, value);
            }
            default -> b[r.nextInt(Math.min(16, b.length))] = (byte) r.nextInt(256);
        }
        return b;
    }

    @Test
    void corruptedIdxFilesEndInACorrectReadOrAClearError() throws Exception {
        SplittableRandom r = new SplittableRandom(2026);
        byte[] pixels = new byte[5 * 4 * 3];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) i;
        byte[] images = Fixtures.idxImages(5, 4, 3, pixels);
        byte[] labels = Fixtures.idxLabels(new byte[]{1, 2, 3, 4, 5});
        int reads = 0, errors = 0;
        for (int c = 0; c < CASES; c++) {
            boolean gz = c % 3 == 0;
            boolean hitImages = r.nextBoolean();
            byte[] i = hitImages ? mutate(images, r) : images, l = hitImages ? labels : mutate(labels, r);
            if (gz && r.nextInt(4) == 0) { // corrupt the compressed stream itself too
                i = mutate(Fixtures.gzip(i), r);
            } else if (gz) {
                i = Fixtures.gzip(i);
            }
            Path folder = dir.resolve("case" + c);
            Files.createDirectories(folder);
            String suffix = gz ? ".gz" : "";
            Files.write(folder.resolve("train-images-idx3-ubyte" + suffix), i);
            Files.write(folder.resolve("train-labels-idx1-ubyte" + suffix), gz ? Fixtures.gzip(l) : l);
            try {
                IdxSource s = IdxSource.open(conf, new org.apache.hadoop.fs.Path(folder.resolve("train-images-idx3-ubyte" + suffix).toUri()),
                        new org.apache.hadoop.fs.Path(folder.resolve("train-labels-idx1-ubyte" + suffix).toUri()));
                Examples e = s.read(conf, 0, s.count());
                assertEquals(s.count() * s.width(), e.pixels().length);
                reads++;
            } catch (DataException expected) {
                assertTrue(expected.getMessage().contains("case" + c + "/train-"), expected.getMessage());
                errors++;
            } catch (Throwable unexpected) {
                fail("case " + c + " (" + (gz ? "gz" : "raw") + "): " + unexpected, unexpected);
            }
        }
        System.out.printf("IDX fuzz: %d cases, %d read, %d refused with a clear error%n", CASES, reads, errors);
        assertTrue(errors > CASES / 2 && reads > 0, reads + " reads, " + errors + " errors");
    }
}
