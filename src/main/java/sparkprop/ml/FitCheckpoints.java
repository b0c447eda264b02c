package sparkprop.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import sparkprop.core.BadInputException;
import sparkprop.storage.Location;
import sparkprop.train.Checkpoint;
import sparkprop.train.EpochMetrics;
import sparkprop.train.TrainConfig;
import sparkprop.train.TrainingListener;
import sparkprop.train.TrainingState;

/**
 * A fit's {@code checkpointPath}, on any Hadoop path: after each epoch the run's checkpoint (the
 * command line's format, the one before it kept as {@code checkpoint.previous.bin}); and at the
 * start, when a checkpoint of the same configuration and the same training rows (their count and
 * width) is there, the state to continue from, which ends in the bits of an uninterrupted fit.
 */
final class FitCheckpoints {
    private final Location dir;
    private final TrainConfig config;
    private final Map<String, String> data;

    FitCheckpoints(String path, Configuration hadoop, TrainConfig config, long rows, int width) {
        this.dir = Location.of(path, hadoop, "checkpointPath");
        this.config = config;
        this.data = Map.of("data", "a DataFrame of " + rows + " training rows of " + width + " features");
    }

    /** The state of an earlier fit of this configuration to continue from, or null to start afresh; another fit's checkpoint is refused. */
    TrainingState resumable() throws IOException {
        Location file = dir.child(Checkpoint.FILE);
        if (!file.exists()) return null;
        Checkpoint.Loaded loaded = Checkpoint.decode(file.read(), file.toString());
        List<String> differences = new ArrayList<>(config.differencesFrom(loaded.config()));
        if (!data.get("data").equals(loaded.data())) differences.add("data: " + loaded.data() + " there, " + data.get("data") + " here");
        if (!differences.isEmpty()) {
            throw new BadInputException("checkpointPath " + dir + ": holds the checkpoint of another fit (" + String.join("; ", differences)
                    + "); give another path or remove it");
        }
        return loaded.state();
    }

    /** Writes the checkpoint after every epoch, keeping the one before. */
    TrainingListener writer() {
        return new TrainingListener() {
            @Override
            public void epochFinished(EpochMetrics metrics, TrainingState state) {
                try {
                    Checkpoint.save(dir, Checkpoint.encode(config, data, Checkpoint.Blas.UNKNOWN, state));
                } catch (IOException e) {
                    throw new UncheckedIOException("checkpointPath " + dir + ": cannot write the checkpoint", e);
                }
            }
        };
    }
}
