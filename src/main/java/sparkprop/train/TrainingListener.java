package sparkprop.train;

/** Hears about progress as it happens: for progress bars, metric files and checkpoints. */
public interface TrainingListener {
    default void stepFinished(int epoch, int step, int steps, double meanLoss, long examplesSoFar, double secondsSoFar) {
    }

    /** Called after each step but an epoch's last, with the state as it is now (a checkpoint within the epoch can be taken from it). */
    default void midEpoch(TrainingState state) {
    }

    /** Called after each epoch, with the state as it is now (a checkpoint can be taken from it). */
    default void epochFinished(EpochMetrics metrics, TrainingState state) {
    }
}
