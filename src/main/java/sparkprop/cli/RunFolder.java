package sparkprop.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import sparkprop.core.ModelFile;
import sparkprop.core.Model;
import sparkprop.train.EpochMetrics;

/**
 * A training run's output folder: {@code model.bin}, {@code metrics.jsonl} (one JSON object per
 * epoch, appended as epochs finish), {@code summary.json}, {@code checkpoint.bin}, and the
 * report: {@code curves.png} and {@code report.html}. Files are written whole under a
 * temporary name and renamed, so a crash leaves the previous version, never half a file.
 */
final class RunFolder {
    static final String MODEL = "model.bin";
    static final String METRICS = "metrics.jsonl";
    static final String SUMMARY = "summary.json";
    static final String CURVES = "curves.png";
    static final String REPORT = "report.html";
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;

    RunFolder(Path dir) {
        this.dir = dir;
    }

    /** Creates a new run folder; an existing non-empty folder is refused so nothing is overwritten. */
    static RunFolder create(Path dir) throws IOException {
        if (Files.exists(dir) && (!Files.isDirectory(dir) || Files.list(dir).findAny().isPresent())) {
            throw new sparkprop.core.BadInputException("--out " + dir + ": already exists and is not empty (choose another folder, or --resume it)");
        }
        Files.createDirectories(dir);
        return new RunFolder(dir);
    }

    /** Removes what a crash mid-write can leave: ".name.tmp" files (the real files were never touched). */
    void removeLeftoverTemporaryFiles() throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith(".") && f.getFileName().toString().endsWith(".tmp")).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Deletes the folder when no epoch was completed: a failed start leaves nothing half-made behind. */
    void deleteIfNoCheckpoint() {
        try {
            if (Files.exists(dir.resolve(sparkprop.train.Checkpoint.FILE))) return;
            try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // Best effort: the original failure is what the user needs to see.
        }
    }

    Path model() {
        return dir.resolve(MODEL);
    }

    void appendMetrics(EpochMetrics m) throws IOException {
        try (Writer w = Files.newBufferedWriter(dir.resolve(METRICS), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(line(m)));
            w.write('\n');
        }
    }

    /** Replaces metrics.jsonl with exactly these epochs (on resume, the checkpoint's history). */
    void rewriteMetrics(java.util.List<EpochMetrics> history) throws IOException {
        StringBuilder text = new StringBuilder();
        for (EpochMetrics m : history) text.append(JSON.writeValueAsString(line(m))).append('\n');
        ModelFile.writeAtomically(dir.resolve(METRICS), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> line(EpochMetrics m) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("epoch", m.epoch());
        line.put("train_loss", m.trainLoss());
        if (!Double.isNaN(m.valLoss())) {
            line.put("val_loss", m.valLoss());
            line.put("val_accuracy", m.valAccuracy());
        }
        line.put("test_loss", m.testLoss());
        line.put("test_accuracy", m.testAccuracy());
        line.put("epoch_seconds", m.epochSeconds());
        line.put("samples_per_second", m.samplesPerSecond());
        line.put("learning_rate", m.learningRate());
        line.put("steps", m.steps());
        return line;
    }

    /** Saves the model and returns its file's SHA-256. */
    String saveModel(Model model) throws IOException {
        byte[] bytes = ModelFile.encode(model);
        ModelFile.writeAtomically(model(), bytes);
        return ModelFile.sha256Hex(bytes);
    }

    void writeSummary(RunSummary summary) throws IOException {
        byte[] bytes = JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE).writeValueAsBytes(summary);
        ModelFile.writeAtomically(dir.resolve(SUMMARY), bytes);
    }
}
