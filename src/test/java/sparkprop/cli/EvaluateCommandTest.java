package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Fixtures;

class EvaluateCommandTest {
    @TempDir
    static Path dir;
    static String data;
    static Path run;

    @BeforeAll
    static void trainOnce() throws Exception {
        data = Fixtures.syntheticMnist(dir.resolve("mnist"), 1000, 400, 8, false, 21).toString();
        run = dir.resolve("run");
        assertEquals(0, CliRun.of("train", "--data", data, "--layers", "64,16,10", "--epochs", "2", "--batch-size", "40",
                "--master", "local[2]", "--out", run.toString()).exitCode());
    }

    @Test
    void agreesWithTheTrainingSummaryAndAddsUp() throws Exception {
        Path out = dir.resolve("eval");
        CliRun eval = CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", data, "--out", out.toString(),
                "--predictions", "--master", "local[2]");
        assertEquals(0, eval.exitCode(), eval.err());
        assertTrue(eval.out().contains("confusion matrix") && eval.out().contains("weighted avg"), eval.out());
        ObjectMapper json = new ObjectMapper();
        JsonNode metrics = json.readTree(out.resolve("metrics.json").toFile());
        JsonNode summary = json.readTree(run.resolve("summary.json").toFile());
        assertEquals(summary.get("test_accuracy").asDouble(), metrics.get("accuracy").asDouble(), 1e-12);

        long supports = 0, diagonal = 0;
        for (JsonNode c : metrics.get("per_class")) supports += c.get("support").asLong();
        JsonNode rows = metrics.get("confusion_matrix");
        for (int i = 0; i < rows.size(); i++) diagonal += rows.get(i).get(i).asLong();
        assertEquals(400, supports);
        assertEquals(metrics.get("correct").asLong(), diagonal);
        assertEquals(metrics.get("accuracy").asDouble(), diagonal / 400.0, 1e-12);

        List<String> lines;
        try (Stream<Path> parts = Files.list(out.resolve("predictions"))) {
            lines = parts.filter(p -> p.getFileName().toString().startsWith("part-")).flatMap(p -> {
                try {
                    return Files.readAllLines(p).stream();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        assertEquals(400, lines.size());
        assertEquals(13, lines.get(0).split(",").length, lines.get(0));
        long correct = lines.stream().map(l -> l.split(",")).filter(f -> f[1].equals(f[2])).count();
        assertEquals(diagonal, correct);
    }

    @Test
    void refusesAnExistingOutputFolderUnlessOverwrite() throws Exception {
        Path out = dir.resolve("exists");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "keep");
        CliRun refused = CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", data, "--out", out.toString());
        assertEquals(2, refused.exitCode());
        assertTrue(refused.errorLines().contains("already exists"), refused.err());
        assertEquals("keep", Files.readString(out.resolve("keep.txt")));
        CliRun replaced = CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", data, "--out", out.toString(),
                "--overwrite", "--master", "local[2]");
        assertEquals(0, replaced.exitCode(), replaced.err());
        assertFalse(Files.exists(out.resolve("keep.txt")));
        assertTrue(Files.exists(out.resolve("metrics.json")));
    }

    /** An --out that cannot be written is refused before scoring anything, in one line naming it (tests run as root, so: under a file). */
    @Test
    void anOutputFolderThatCannotBeWrittenIsRefusedBeforeScoring() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        Path out = file.resolve("eval");
        CliRun refused = CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", data, "--out", out.toString(),
                "--master", "local[2]");
        assertEquals(2, refused.exitCode(), refused.err());
        assertEquals(1, refused.errorLines().lines().count(), refused.err());
        assertTrue(refused.errorLines().startsWith("error: --out " + out + ": cannot write in " + file), refused.err());
        assertTrue(!refused.out().contains("accuracy"), "nothing was scored: " + refused.out());
        assertEquals("not a folder", Files.readString(file));
    }

    @Test
    void badInputIsOneLineAndExitCode2() throws Exception {
        Path other = Fixtures.syntheticMnist(dir.resolve("wide"), 30, 10, 10, false, 1);
        CliRun width = CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", other.toString());
        assertEquals(2, width.exitCode());
        assertTrue(width.errorLines().contains("the model expects 64 inputs but"), width.err());
        assertTrue(width.errorLines().contains("has 100 pixels per example"), width.err());

        CliRun missing = CliRun.of("evaluate", "--model", dir.resolve("none.bin").toString(), "--data", data);
        assertEquals(2, missing.exitCode());
        assertTrue(missing.errorLines().contains("none.bin: no such model file"), missing.err());

        Path broken = dir.resolve("broken.bin");
        byte[] bytes = Files.readAllBytes(run.resolve("model.bin"));
        Files.write(broken, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        CliRun truncated = CliRun.of("evaluate", "--model", broken.toString(), "--data", data);
        assertEquals(2, truncated.exitCode());
        assertTrue(truncated.errorLines().contains("broken.bin: checksum mismatch"), truncated.err());
    }

    @Test
    void overwritingTheRunFolderItScoresIsRefusedAndNothingIsLost() throws Exception {
        java.util.Set<String> before;
        try (Stream<Path> list = Files.list(run)) {
            before = list.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
        for (Path out : List.of(run, run.resolve("model.bin"), run.getParent(), Path.of(data))) {
            CliRun r = CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", data, "--out", out.toString(), "--overwrite",
                    "--master", "local[2]");
            assertEquals(2, r.exitCode(), r.err());
            assertTrue(r.errorLines().contains("--out " + out), r.err());
        }
        try (Stream<Path> list = Files.list(run)) {
            assertEquals(before, list.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        assertEquals(0, CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", data, "--out",
                run.resolve("evaluation").toString(), "--master", "local[2]").exitCode(), "a new folder inside the run is fine");
        assertTrue(Files.exists(run.resolve("evaluation/metrics.json")));
    }
}
