package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
    @TempDir
    Path dir;

    private Model model() {
        NetworkSpec spec = new NetworkSpec(new int[]{6, 4, 3}, Activation.SIGMOID, Activation.IDENTITY, Loss.MSE);
        float[] params = new float[spec.parameterCount()];
        Initializer.XAVIER.initialize(spec, params, 5, 0);
        return new Model(spec, params);
    }

    @Test
    void saveAndLoadGiveBitIdenticalPredictions() throws Exception {
        Model m = model();
        Path file = dir.resolve("model.bin");
        m.save(file);
        Model back = Model.load(file);
        assertEquals(m.spec(), back.spec());
        assertArrayEquals(m.params(), back.params());
        float[] x = new float[6 * 2];
        for (int i = 0; i < x.length; i++) x[i] = i / 12f;
        float[] a = m.predict(x, 2), b = back.predict(x, 2);
        for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]));
        assertTrue(Files.list(dir).allMatch(p -> p.getFileName().toString().equals("model.bin")), "no temporary file left");
    }

    @Test
    void layoutIsTheDocumentedOne() {
        byte[] bytes = ModelFile.encode(model());
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("SPRPMODL", new String(bytes, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(1, b.getInt(8));
        int h = b.getInt(12);
        String header = new String(bytes, 16, h, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.contains("layers=6,4,3\n") && header.contains("hidden=sigmoid\n") && header.contains("output=identity\n")
                && header.contains("loss=mse\n") && header.contains("input=uint8/255\n"), header);
        int count = b.getInt(16 + h);
        assertEquals(6 * 4 + 4 + 4 * 3 + 3, count);
        assertEquals(16 + h + 4 + 4 * count + 32, bytes.length);
        assertEquals(model().params()[0], b.getFloat(20 + h));
    }

    @Test
    void truncatedFileIsRefused() {
        byte[] bytes = ModelFile.encode(model());
        ModelFileException e = assertThrows(ModelFileException.class,
                () -> ModelFile.decode(Arrays.copyOf(bytes, bytes.length - 9), "m.bin"));
        assertTrue(e.getMessage().startsWith("m.bin: "), e.getMessage());
    }

    @Test
    void flippedByteIsACheckSumMismatch() {
        byte[] bytes = ModelFile.encode(model());
        bytes[bytes.length - 40] ^= 1;
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.decode(bytes, "m.bin"));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void unknownVersionIsRefused() {
        byte[] bytes = ModelFile.encode(model());
        bytes[8] = 9;
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.decode(bytes, "m.bin"));
        assertTrue(e.getMessage().contains("version 9"), e.getMessage());
    }

    @Test
    void otherFilesAreNotModels() {
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.decode("hello world, not a model at all....................".getBytes(), "x"));
        assertTrue(e.getMessage().contains("not a sparkprop model"), e.getMessage());
    }
}
