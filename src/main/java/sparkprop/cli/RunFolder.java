package sparkprop.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import sparkprop.core.BadInputException;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.core.ModelFileException;
import sparkprop.storage.Location;
import sparkprop.train.Checkpoint;
import sparkprop.train.EpochMetrics;

/**
 * A training run's output folder, on any Hadoop filesystem: {@code model.bin}, {@code
 * metrics.jsonl} (one JSON object per epoch), {@code summary.json}, {@code checkpoint.bin} and
 * {@code checkpoint.previous.bin}, and the report: {@code curves.png} and {@code report.html}.
 * Every file is written whole ({@link Location#write}); metrics.jsonl too, rewritten with all
 * epochs so far, since HDFS append is often disabled and object stores have none.
 */
final class RunFolder {
    static final String MODEL = "model.bin";
    static final String METRICS = "metrics.jsonl";
    static final String SUMMARY = "summary.json";
    static final String CURVES = "curves.png";
    static final String REPORT = "report.html";
    /** Created first, exclusively: the run that creates it owns the folder, and a second run started on it is refused. */
    static final String CLAIM = ".sparkprop-run";
    /** Every name a run writes: a folder holding only these (and no checkpoint) is a start that never finished an epoch. */
    static final Set<String> NAMES = Set.of(CLAIM, MODEL, METRICS, SUMMARY, CURVES, REPORT, Checkpoint.FILE, Checkpoint.PREVIOUS_FILE);
    private static final ObjectMapper JSON = new ObjectMapper();

    final Location dir;

    private RunFolder(Location dir) {
        this.dir = dir;
    }

    /** What a folder named as a run's --out holds, for {@code --resume-if-exists}. */
    enum Contents { NOTHING, CHECKPOINT, RUN_WITHOUT_CHECKPOINT, OTHER }

    /** Whether a training run wrote {@code dir}: its claim, model, summary or checkpoints are there (so it must not be overwritten). */
    static boolean isRun(Location dir) throws IOException {
        if (!dir.isDirectory()) return false;
        List<String> names = dir.list();
        return names.contains(CLAIM) || names.contains(MODEL) || names.contains(SUMMARY)
                || names.contains(Checkpoint.FILE) || names.contains(Checkpoint.PREVIOUS_FILE);
    }

    static Contents contents(Location dir) throws IOException {
        if (!dir.exists()) return Contents.NOTHING;
        if (dir.isFile()) return Contents.OTHER;
        List<String> names = dir.list();
        if (names.contains(Checkpoint.FILE) || names.contains(Checkpoint.PREVIOUS_FILE)) return Contents.CHECKPOINT;
        if (names.isEmpty()) return Contents.NOTHING;
        return names.stream().allMatch(n -> NAMES.contains(n) || Location.isTemporary(n)) ? Contents.RUN_WITHOUT_CHECKPOINT : Contents.OTHER;
    }

    /**
     * Creates a new run folder and claims it ({@link #CLAIM}) before anything else is written; an
     * existing non-empty folder, or one another run claimed first, is refused so nothing is
     * overwritten and no two runs share a folder.
     */
    static RunFolder create(Location dir) throws IOException {
        if (dir.exists() && (dir.isFile() || !dir.list().isEmpty())) {
            throw new BadInputException("--out " + dir + ": already exists and is not empty (choose another folder, or --resume it)");
        }
        dir.mkdirs();
        String owner = "pid " + ProcessHandle.current().pid() + " on " + java.net.InetAddress.getLocalHost().getHostName() + "\n";
        if (!dir.child(CLAIM).createIfAbsent(owner.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            throw new BadInputException("--out " + dir + ": another training run has just started in it (choose another folder)");
        }
        return new RunFolder(dir);
    }

    /** An existing run's folder, cleared of the temporary files a crash mid-write can leave (the real files were never touched). */
    static RunFolder existing(Location dir) throws IOException {
        for (String name : dir.list()) if (Location.isTemporary(name)) dir.child(name).delete();
        return new RunFolder(dir);
    }

    /** Deletes the run's files when no epoch was completed: a failed start leaves nothing half-made behind. */
    void deleteIfNoCheckpoint() {
        try {
            List<String> names = dir.list();
            if (names.contains(Checkpoint.FILE) || names.contains(Checkpoint.PREVIOUS_FILE)) return;
            for (String name : names) if (NAMES.contains(name) || Location.isTemporary(name)) dir.child(name).delete();
            if (dir.list().isEmpty()) dir.delete();
        } catch (IOException e) {
            // Best effort: the original failure is what the user needs to see.
        }
    }

    Location model() {
        return dir.child(MODEL);
    }

    Location file(String name) {
        return dir.child(name);
    }

    /** Writes metrics.jsonl with exactly these epochs, one JSON object per line. */
    void writeMetrics(List<EpochMetrics> history) throws IOException {
        StringBuilder text = new StringBuilder();
        for (EpochMetrics m : history) text.append(JSON.writeValueAsString(line(m))).append('\n');
        dir.child(METRICS).write(text.toString().getBytes(StandardCharsets.UTF_8));
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
        // Where the steps' time went (EpochMetrics): the wait for gradients, a task's compute within it, the driver's update.
        line.put("gradient_seconds", m.gradientSeconds());
        if (!Double.isNaN(m.computeSeconds())) line.put("compute_seconds", m.computeSeconds());
        line.put("update_seconds", m.updateSeconds());
        return line;
    }

    /** Saves the model and returns its file's SHA-256. */
    String saveModel(Model model) throws IOException {
        byte[] bytes = ModelFile.encode(model);
        model().write(bytes);
        return ModelFile.sha256Hex(bytes);
    }

    void writeSummary(RunSummary summary) throws IOException {
        dir.child(SUMMARY).write(JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).writeValueAsBytes(summary));
    }

    /**
     * Writes the newest checkpoint, keeping the one before it as checkpoint.previous.bin. At every
     * moment at least one complete checkpoint is in the folder under one of the two names.
     */
    void saveCheckpoint(byte[] bytes) throws IOException {
        Checkpoint.save(dir, bytes);
    }

    /**
     * The newest checkpoint that loads; when checkpoint.bin is missing or fails its checksum, says
     * so on {@code out} and continues from checkpoint.previous.bin.
     */
    Checkpoint.Loaded loadCheckpoint(PrintStream out) throws IOException {
        Location newest = dir.child(Checkpoint.FILE), previous = dir.child(Checkpoint.PREVIOUS_FILE);
        ModelFileException problem;
        try {
            if (!newest.exists()) throw new ModelFileException(newest + ": missing (a crash while it was being replaced?)");
            return Checkpoint.decode(newest.read(), newest.toString());
        } catch (ModelFileException e) {
            problem = e;
        }
        if (!previous.exists()) {
            if (!newest.exists()) throw new ModelFileException(dir + ": no checkpoint here (is it a run folder?)");
            throw problem;
        }
        Checkpoint.Loaded loaded;
        try {
            loaded = Checkpoint.decode(previous.read(), previous.toString());
        } catch (ModelFileException e) {
            throw new ModelFileException(problem.getMessage() + "; and " + e.getMessage());
        }
        // The bad file goes, so the next checkpoint does not push the good one out.
        if (newest.exists()) newest.delete();
        out.println("warning: " + problem.getMessage() + "; continuing from " + Checkpoint.PREVIOUS_FILE + " (after epoch "
                + loaded.state().epochsDone() + ")");
        return loaded;
    }
}
