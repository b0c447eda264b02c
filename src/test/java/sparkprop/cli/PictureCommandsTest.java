package sparkprop.cli;

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
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(28, img.getWidth());
            for (int p = 0; p < 784; p++) {
                assertEquals(test.pixels()[i * 784 + p] & 0xFF, img.getRaster().getSample(p % 28, p / 28, 0), png + " pixel " + p);
            }
        }
        assertTrue(ImageIO.read(out.resolve("contact-sheet.png").toFile()).getWidth() > 500);
        CliRun again = CliRun.of("export-images", "--data", data, "--out", out.toString());
        assertEquals(2, again.exitCode());
        assertTrue(again.errorLines().contains("already exists"), again.err());
    }

    @Test
    void predictAnswersEveryReadablePictureAndNamesTheOthers() throws Exception {
        Path pictures = dir.resolve("pictures");
        assertEquals(0, CliRun.of("export-images", "--data", data, "--out", pictures.toString(), "--limit", "5", "--size", "64",
                "--invert").exitCode());
        Files.delete(pictures.resolve("contact-sheet.png"));
        Files.writeString(pictures.resolve("notes.png"), "not a picture");
        CliRun r = CliRun.of("predict", "--model", model.toString(), pictures.toString());
        assertEquals(2, r.exitCode(), "one picture was unreadable");
        assertEquals(5, r.out().lines().filter(l -> l.matches(".*/\\d{5}_\\d\\.png \\d 0\\.\\d{4}")).count(), r.out());
        assertTrue(r.errorLines().contains("notes.png: not a picture"), r.err());

        Files.delete(pictures.resolve("notes.png"));
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
    }

    @Test
    void predictWithAMissingModelIsExitCode2() {
        CliRun r = CliRun.of("predict", "--model", dir.resolve("none.bin").toString(), dir.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.errorLines().contains("none.bin: no such model file"), r.err());
    }
}
