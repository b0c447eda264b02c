package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random corruptions of a valid model file: each must decode to the same model or fail with a
 * ModelFileException naming the file. Half the cases repair the checksum after mutating, so the
 * header and size checks behind it are exercised too, not only the checksum.
 */
class ModelFileFuzzTest {
    static final int CASES = 5000;

    @Test
    void corruptedModelFilesEndInACorrectReadOrAClearError() {
        NetworkSpec spec = NetworkSpec.of(new int[]{5, 4, 3}, Activation.RELU, Loss.CE);
        float[] params = new float[spec.parameterCount()];
        Initializer.HE.initialize(spec, params, 3, 0);
        byte[] valid = ModelFile.encode(new Model(spec, params));
        SplittableRandom r = new SplittableRandom(7);
        int reads = 0, errors = 0;
        for (int c = 0; c < CASES; c++) {
            byte[] b = valid.clone();
            switch (r.nextInt(4)) {
                case 0 -> { for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255)); }
                case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
                case 2 -> b = Arrays.copyOf(b, b.length + 1 + r.nextInt(8));
                default -> b[8 + r.nextInt(Math.min(60, b.length - 8))] = (byte) r.nextInt(256); // header region
            }
            if (c % 2 == 0 && b.length > 32) {
                byte[] sum = ModelFile.sha256(b, b.length - 32);
                System.arraycopy(sum, 0, b, b.length - 32, 32);
            }
            try {
                Model m = ModelFile.decode(b, "fuzz" + c);
                assertEquals(spec.parameterCount(), m.params().length);
                reads++;
            } catch (ModelFileException expected) {
                assertTrue(expected.getMessage().startsWith("fuzz" + c + ": "), expected.getMessage());
                errors++;
            } catch (Throwable unexpected) {
                fail("case " + c + ": " + unexpected, unexpected);
            }
        }
        System.out.printf("model file fuzz: %d cases, %d read, %d refused with a clear error%n", CASES, reads, errors);
        assertTrue(errors > CASES / 2, errors + " errors");
    }
}
