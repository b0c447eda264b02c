package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Dataset;
import sparkprop.data.Examples;
import sparkprop.data.Fixtures;

/** export-images and predict on the command line. */
class PictureCommandsTest {
    @TempDir
    static Path dir;
    static String data;
    static Path model;

    @BeforeAll
    static void trainOnce() throws Exception {
        data = Fixtures.syntheticMnist(dir.resolve("mnist"), 600, 40, 28, false, 8).toString();
        Path run = dir.resolve("run");
        assertEquals(0, CliRun.of("train", "--data", data, "--layers", "784,16,10", "--epochs", "1", "--batch-size", "60",
                "--master", "local[2]", "--out", run.toString()).exitCode());
        model = run.resolve("model.bin");
    }

    @Test
    void exportedPicturesAreTheDatasetsPixelsWithTheirLabels() throws Exception {
        Path out = dir.resolve("export");
        CliRun r = CliRun.of("export-images", "--data", data, "--out", out.toString(), "--limit", "12");
        assertEquals(0, r.exitCode(), r.err());
        Examples test = Dataset.open(data, new Configuration()).test().read(new Configuration(), 0, 12);
        for (int i = 0; i < 12; i++) {
            Path png = out.resolve(String.format("%05d_%d.png", i, test.label(i)));
            assertEquals(28, ImageIO.read(png.toFile()).getWidth());
            assertArrayEquals(java.util.Arrays.copyOfRange(test.pixels(), i * 784, (i + 1) * 784), gray(png), png.toString());
        }
        assertTrue(ImageIO.read(out.resolve("contact-sheet.png").toFile()).getWidth() > 500);
        CliRun again = CliRun.of("export-images", "--data", data, "--out", out.toString());
        assertEquals(2, again.exitCode());
        assertTrue(again.errorLines().contains("already exists"), again.err());
    }

    /** --augment writes what the distortions make of each example: copies that differ from it and each other, drawn reproducibly. */
    @Test
    void exportedDistortionsAreReproducibleCopiesOfEachExample() throws Exception {
        String spec = "shift=2,rotate=10,elastic-alpha=34,elastic-sigma=4";
        Path out = dir.resolve("augmented"), again = dir.resolve("augmented-again");
        CliRun r = CliRun.of("export-images", "--data", data, "--out", out.toString(), "--limit", "3", "--augment", spec, "--copies", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("2 copies each distorted by " + spec), r.out());
        assertEquals(0, CliRun.of("export-images", "--data", data, "--out", again.toString(), "--limit", "3", "--augment", spec, "--copies", "2")
                .exitCode());
        Examples test = Dataset.open(data, new Configuration()).test().read(new Configuration(), 0, 3);
        for (int i = 0; i < 3; i++) {
            byte[] original = java.util.Arrays.copyOfRange(test.pixels(), i * 784, (i + 1) * 784);
            byte[] first = gray(out.resolve(String.format("%05d_%d_1.png", i, test.label(i)))), second = gray(out.resolve(String.format("%05d_%d_2.png", i, test.label(i))));
            assertTrue(!java.util.Arrays.equals(original, first) && !java.util.Arrays.equals(first, second), "distinct copies of example " + i);
            assertArrayEquals(first, gray(again.resolve(String.format("%05d_%d_1.png", i, test.label(i)))), "the same seed draws the same");
        }
        BufferedImage sheet = ImageIO.read(out.resolve("contact-sheet.png").toFile());
        assertTrue(sheet.getHeight() > sheet.getWidth(), "one row an example: original and 2 copies, 3 rows");
        CliRun bad = CliRun.of("export-images", "--data", data, "--out", dir.resolve("bad-augment").toString(), "--augment", "spin=3");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.errorLines().contains("--augment: 'spin=3': expected name=value"), bad.err());
    }

    private static byte[] gray(Path png) throws Exception {
        BufferedImage img = ImageIO.read(png.toFile());
        byte[] v = new byte[img.getWidth() * img.getHeight()];
        for (int p = 0; p < v.length; p++) v[p] = (byte) img.getRaster().getSample(p % img.getWidth(), p / img.getWidth(), 0);
        return v;
    }

    /**
     * A valid PNG of a few hundred bytes whose header declares {@code width} x {@code height} 8-bit grey pixels (its data
     * one deflated row of them): what decoding would allocate is the header's, not the file's size.
     */
    static byte[] pngDeclaring(int width, int height) throws java.io.IOException {
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 0).put((byte) 0)
                .put((byte) 0).put((byte) 0);
        chunk(png, "IHDR", header.array());
        java.io.ByteArrayOutputStream row = new java.io.ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(row)) {
            z.write(new byte[width + 1]);
        }
        chunk(png, "IDAT", row.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(java.io.ByteArrayOutputStream png, String type, byte[] data) throws java.io.IOException {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(type.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        crc.update(data);
        png.write(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        png.write(type.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        png.write(data);
        png.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test
    void predictAnswersEveryReadablePictureAndNamesTheOthers() throws Exception {
        Path pictures = dir.resolve("pictures");
        assertEquals(0, CliRun.of("export-images", "--data", data, "--out", pictures.toString(), "--limit", "5", "--size", "64",
                "--invert").exitCode());
        Files.delete(pictures.resolve("contact-sheet.png"));
        Files.writeString(pictures.resolve("notes.png"), "not a picture");
        Files.write(pictures.resolve("huge.png"), pngDeclaring(30000, 30000));
        CliRun r = CliRun.of("predict", "--model", model.toString(), pictures.toString());
        assertEquals(2, r.exitCode(), "one picture was unreadable");
        assertEquals(5, r.out().lines().filter(l -> l.matches(".*/\\d{5}_\\d\\.png \\d 0\\.\\d{4}")).count(), r.out());
        assertTrue(r.errorLines().contains("notes.png: not a picture"), r.err());
        assertTrue(r.errorLines().contains("huge.png: a picture of 30000x30000 pixels, more than the 16777216 (4096x4096)"), r.err());
        assertTrue(!r.err().contains("OutOfMemoryError"), r.err());

        Files.delete(pictures.resolve("notes.png"));
        Files.delete(pictures.resolve("huge.png"));
        CliRun json = CliRun.of("predict", "--model", model.toString(), "--json", pictures.toString());
        assertEquals(0, json.exitCode(), json.err());
        JsonNode answers = new ObjectMapper().readTree(json.out().lines().filter(l -> l.startsWith("[")).findFirst().orElseThrow());
        assertEquals(5, answers.size());
        assertEquals(10, answers.get(0).get("probabilities").size());
        assertTrue(answers.get(0).get("probability").asDouble() > 0);
    }

    @Test
    void exportModelToNpzAndBackGivesTheSameFile() throws Exception {
        Path npz = dir.resolve("model.npz"), back = dir.resolve("back.bin");
        assertEquals(0, CliRun.of("export-model", "--model", model.toString(), "--out", npz.toString()).exitCode());
        CliRun imported = CliRun.of("export-model", "--from-npz", npz.toString(), "--out", back.toString());
        assertEquals(0, imported.exitCode(), imported.err());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(model), Files.readAllBytes(back)), "identical model file");
        CliRun exists = CliRun.of("export-model", "--model", model.toString(), "--out", npz.toString());
        assertEquals(2, exists.exitCode());
        assertTrue(exists.errorLines().contains("already exists"), exists.err());
        CliRun both = CliRun.of("export-model", "--model", model.toString(), "--from-npz", npz.toString(), "--out", "x");
        assertEquals(2, both.exitCode());

        // ONNX by the extension or by --format: the same graph (OnnxExportIT runs it in ONNX Runtime).
        Path onnx = dir.resolve("model.onnx"), named = dir.resolve("model.graph");
        CliRun exported = CliRun.of("export-model", "--model", model.toString(), "--out", onnx.toString());
        assertEquals(0, exported.exitCode(), exported.err());
        assertTrue(exported.out().contains("as ONNX (IR 8, opset 17): input features (N, 784) float"), exported.out());
        assertArrayEquals(sparkprop.core.ModelOnnx.write(sparkprop.core.Model.load(model)), Files.readAllBytes(onnx));
        assertEquals(0, CliRun.of("export-model", "--model", model.toString(), "--format", "onnx", "--out", named.toString()).exitCode());
        assertArrayEquals(Files.readAllBytes(onnx), Files.readAllBytes(named));
        CliRun badFormat = CliRun.of("export-model", "--model", model.toString(), "--format", "pmml", "--out", dir.resolve("m.pmml").toString());
        assertEquals(2, badFormat.exitCode());
        assertTrue(badFormat.errorLines().contains("--format pmml: expected npz or onnx"), badFormat.err());
    }

    @Test
    void predictWithAMissingModelIsExitCode2() {
        CliRun r = CliRun.of("predict", "--model", dir.resolve("none.bin").toString(), dir.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.errorLines().contains("none.bin: no such model file"), r.err());
    }

    /** CSV part files of a batch prediction, header first, as rows of cells. */
    static java.util.List<String[]> csvParts(Path out) throws Exception {
        java.util.List<String[]> rows = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> parts = Files.list(out)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                java.util.List<String> lines = Files.readAllLines(part);
                if (lines.isEmpty()) continue;
                if (rows.isEmpty()) rows.add(lines.get(0).split(",", -1));
                for (String line : lines.subList(1, lines.size())) rows.add(line.split(",", -1));
            }
        }
        return rows;
    }

    @Test
    void theBatchJobScoresPicturesLikeLocalPredictAndTablesLikeTheCore() throws Exception {
        Path pictures = dir.resolve("batch-pictures");
        assertEquals(0, CliRun.of("export-images", "--data", data, "--out", pictures.toString(), "--limit", "6", "--size", "40",
                "--invert").exitCode());
        Files.delete(pictures.resolve("contact-sheet.png"));
        CliRun local = CliRun.of("predict", "--model", model.toString(), "--json", pictures.toString());
        Files.writeString(pictures.resolve("notes.png"), "not a picture");
        Files.write(pictures.resolve("huge.png"), pngDeclaring(30000, 30000));
        Path out = dir.resolve("batch-out");
        CliRun batch = CliRun.of("predict", "--model", model.toString(), "--data", pictures.toString(), "--out", out.toString(), "--format", "csv",
                "--master", "local[2]");
        assertEquals(2, batch.exitCode(), "one file was not a picture: " + batch.err());
        assertTrue(batch.errorLines().contains("2 of 8 files could not be read"), batch.err());
        java.util.List<String[]> rows = csvParts(out);
        assertEquals(java.util.List.of("id", "prediction", "probability", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "error"),
                java.util.List.of(rows.get(0)));
        JsonNode answers = new ObjectMapper().readTree(local.out().lines().filter(l -> l.startsWith("[")).findFirst().orElseThrow());
        assertEquals(8, rows.size() - 1);
        int matched = 0;
        for (JsonNode a : answers) {
            String name = Path.of(a.get("file").asText()).getFileName().toString();
            String[] row = rows.stream().filter(r -> r[0].endsWith("/" + name)).findFirst().orElseThrow();
            assertEquals(a.get("digit").asInt(), Integer.parseInt(row[1]), name);
            assertEquals(a.get("probability").asDouble(), Double.parseDouble(row[2]), 1e-6, name);
            matched++;
        }
        assertEquals(6, matched);
        assertTrue(rows.stream().anyMatch(r -> r[0].endsWith("notes.png") && r[1].isEmpty() && r[13].contains("not a picture")));
        assertTrue(rows.stream().anyMatch(r -> r[0].endsWith("huge.png") && r[1].isEmpty() && r[13].contains("30000x30000 pixels")));

        // A table: the test examples as CSV, label first. Predictions are the core's, ids the rows' places.
        Examples test = Dataset.open(data, new Configuration()).test().read(new Configuration(), 0, 40);
        Files.writeString(dir.resolve("test-table.csv"), TableTrainingTest.csv(test, 0, 40, false));
        Path tableOut = dir.resolve("batch-table");
        CliRun scored = CliRun.of("predict", "--model", model.toString(), "--data", dir.resolve("test-table.csv").toString(), "--out",
                tableOut.toString(), "--format", "csv", "--master", "local[2]");
        assertEquals(0, scored.exitCode(), scored.err());
        java.util.List<String[]> table = csvParts(tableOut);
        assertEquals("id,label,prediction,probability", String.join(",", java.util.Arrays.copyOf(table.get(0), 4)));
        float[] x = new float[784 * 40];
        int[] y = new int[40];
        test.toInputs(0, 40, x, y);
        int[] expected = sparkprop.core.Model.load(model).predictClasses(x, 40);
        for (int j = 0; j < 40; j++) {
            String[] row = table.get(j + 1);
            assertEquals(j, Integer.parseInt(row[0]));
            assertEquals(y[j], Integer.parseInt(row[1]));
            assertEquals(expected[j], Integer.parseInt(row[2]), "row " + j);
        }
        CliRun again = CliRun.of("predict", "--model", model.toString(), "--data", dir.resolve("test-table.csv").toString(), "--out",
                tableOut.toString());
        assertEquals(2, again.exitCode());
        assertTrue(again.errorLines().contains("already exists"), again.err());
    }

    @Test
    void aBatchOutputOverItsOwnPicturesIsRefusedAndAFailedJobKeepsTheOldOutput() throws Exception {
        Path pictures = dir.resolve("own-pictures");
        assertEquals(0, CliRun.of("export-images", "--data", data, "--out", pictures.toString(), "--limit", "3").exitCode());
        java.util.Set<String> before = names(pictures);
        for (Path out : java.util.List.of(pictures, pictures.resolve("scored"), dir)) {
            CliRun r = CliRun.of("predict", "--model", model.toString(), "--data", pictures.toString(), "--out", out.toString(), "--overwrite",
                    "--master", "local[2]");
            assertEquals(2, r.exitCode(), r.err());
            assertTrue(r.errorLines().contains("--data " + pictures), r.err());
            assertEquals(before, names(pictures));
        }
        CliRun intoTheRun = CliRun.of("predict", "--model", model.toString(), "--data", pictures.toString(), "--out",
                model.getParent().toString(), "--overwrite");
        assertEquals(2, intoTheRun.exitCode());
        assertTrue(intoTheRun.errorLines().contains("holds --model"), intoTheRun.err());
        assertTrue(Files.exists(model));

        // A job that fails after Spark started: the folder --overwrite was to replace is still whole.
        Path kept = dir.resolve("kept-output");
        Files.createDirectories(kept);
        Files.writeString(kept.resolve("part-00000.csv"), "earlier answers");
        Files.writeString(dir.resolve("narrow.csv"), "1,0.5,0.5\n2,0.1,0.9\n");
        CliRun failed = CliRun.of("predict", "--model", model.toString(), "--data", dir.resolve("narrow.csv").toString(), "--out", kept.toString(),
                "--overwrite", "--master", "local[2]");
        assertEquals(2, failed.exitCode(), failed.err());
        assertEquals("earlier answers", Files.readString(kept.resolve("part-00000.csv")));
        assertEquals(java.util.Set.of("part-00000.csv"), names(kept));
        assertTrue(names(dir).stream().noneMatch(n -> n.contains("sparkprop-new")), names(dir).toString());
    }

    private static java.util.Set<String> names(Path folder) throws Exception {
        try (java.util.stream.Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void localAndBatchPredictMakeAModelsInputsTheSameWay() throws Exception {
        Path pictures = dir.resolve("scaling-pictures");
        assertEquals(0, CliRun.of("export-images", "--data", data, "--out", pictures.toString(), "--limit", "8").exitCode());
        Files.delete(pictures.resolve("contact-sheet.png"));
        // The trained weights, declared to take raw values 0..255 as a float-table model does.
        sparkprop.core.Model pixels = sparkprop.core.Model.load(model);
        Path raw = dir.resolve("raw-values.bin");
        new sparkprop.core.Model(pixels.spec(), pixels.params(), sparkprop.core.InputScaling.FLOAT32).save(raw);
        for (Path m : java.util.List.of(model, raw)) {
            CliRun local = CliRun.of("predict", "--model", m.toString(), "--json", pictures.toString());
            assertEquals(0, local.exitCode(), local.err());
            Path out = dir.resolve("scaling-" + m.getFileName());
            CliRun batch = CliRun.of("predict", "--model", m.toString(), "--data", pictures.toString(), "--out", out.toString(), "--format", "csv",
                    "--master", "local[2]");
            assertEquals(0, batch.exitCode(), batch.err());
            java.util.List<String[]> rows = csvParts(out);
            JsonNode answers = new ObjectMapper().readTree(local.out().lines().filter(l -> l.startsWith("[")).findFirst().orElseThrow());
            assertEquals(8, answers.size());
            for (JsonNode a : answers) {
                String name = Path.of(a.get("file").asText()).getFileName().toString();
                String[] row = rows.stream().filter(r -> r[0].endsWith("/" + name)).findFirst().orElseThrow();
                for (int c = 0; c < 10; c++) {
                    assertEquals((float) Double.parseDouble(row[3 + c]), (float) a.get("probabilities").get(c).asDouble(), m + " " + name + " p" + c);
                }
            }
        }
    }
}
