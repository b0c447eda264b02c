package sparkprop.train;

/** Hears about progress as it happens: for progress bars, metric files and checkpoints. */
public interface TrainingListener {
    default void stepFinished(int epoch, int step, int steps, double meanLoss, long examplesSoFar, double secondsSoFar) {
    }

    /**
     * Called after a step but an epoch's last, with the state as it is now (a checkpoint within the epoch can be taken
     * from it): after each step, or in a ring, whose tasks keep the state, after each step {@link #stateWantedEvery}
     * asks for.
     */
    default void midEpoch(TrainingState state) {
    }

    /** Every how many steps (counted over the run) {@link #midEpoch} needs the state; 0: never. */
    default int stateWantedEvery() {
        return 0;
    }

    /** A line for the person watching about how the run goes on (e.g. on fewer task slots after executors were lost). */
    default void note(String line) {
    }

    /** Called after each epoch, with the state as it is now (a checkpoint can be taken from it). */
    default void epochFinished(EpochMetrics metrics, TrainingState state) {
    }
}
