package sparkprop.train;

import java.nio.file.Files;
import java.nio.file.Path;

/** Tests read and write local checkpoint files directly; the product goes through the run folder. */
public final class CheckpointFiles {
    private CheckpointFiles() {
    }

    public static Checkpoint.Loaded load(Path file) throws Exception {
        return Checkpoint.decode(Files.readAllBytes(file), file.toString());
    }

    public static void save(Path file, TrainConfig config, String data, TrainingState state) throws Exception {
        Files.write(file, Checkpoint.encode(config, data, state));
    }
}
