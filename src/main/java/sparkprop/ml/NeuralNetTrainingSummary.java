package sparkprop.ml;

import java.io.Serializable;
import java.util.List;
import sparkprop.train.EpochMetrics;

/**
 * What a fit went through, epoch by epoch, as MLlib's {@code summary.objectiveHistory} and
 * XGBoost4J-Spark's {@code summary.trainObjectiveHistory} give it: {@link NeuralNetClassificationModel#summary()}.
 * Arrays hold one value per epoch; NaN where a set was not scored (no validation rows).
 */
public final class NeuralNetTrainingSummary implements Serializable {
    private final List<EpochMetrics> history;
    private final int bestEpoch;
    private final boolean stoppedEarly;

    NeuralNetTrainingSummary(List<EpochMetrics> history, int bestEpoch, boolean stoppedEarly) {
        this.history = List.copyOf(history);
        this.bestEpoch = bestEpoch;
        this.stoppedEarly = stoppedEarly;
    }

    /** The mean training loss of each epoch, as MLlib names it. */
    public double[] objectiveHistory() {
        return trainLossHistory();
    }

    public double[] trainLossHistory() {
        return history.stream().mapToDouble(EpochMetrics::trainLoss).toArray();
    }

    public double[] validationLossHistory() {
        return history.stream().mapToDouble(EpochMetrics::valLoss).toArray();
    }

    public double[] validationAccuracyHistory() {
        return history.stream().mapToDouble(EpochMetrics::valAccuracy).toArray();
    }

    public double[] epochSeconds() {
        return history.stream().mapToDouble(EpochMetrics::epochSeconds).toArray();
    }

    /** Epochs trained. */
    public int totalIterations() {
        return history.size();
    }

    /** The epoch (from 1) whose model was kept: the lowest validation loss, or the last without validation. */
    public int bestEpoch() {
        return bestEpoch;
    }

    /** Whether {@code patience} ended the fit before {@code maxIter}. */
    public boolean stoppedEarly() {
        return stoppedEarly;
    }
}
