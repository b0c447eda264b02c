package sparkprop.train;

import java.util.List;
import sparkprop.core.Model;

/** The model a run keeps (the best by validation loss when data is held out, else the last) and its history. */
public record TrainingResult(Model model, int bestEpoch, List<EpochMetrics> history, double trainSeconds, boolean stoppedEarly) {
}
