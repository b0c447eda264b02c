package sparkprop.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything the driver's loop carries from one epoch to the next: parameters, optimizer state,
 * the best model so far and the history. With it (and the seed, from which every random choice
 * is derived per epoch and step) a run continues exactly where it stopped.
 */
public final class TrainingState {
    public int epochsDone;
    public final float[] params;
    public final List<float[]> optimizerState;
    public float[] bestParams;
    /** With --ema, the moving average of the parameters (what is evaluated and saved); else null. */
    public float[] average;
    public int bestEpoch;
    public double bestScore = Double.POSITIVE_INFINITY;
    public int epochsWithoutImprovement;
    public final List<EpochMetrics> history = new ArrayList<>();

    public TrainingState(float[] params, List<float[]> optimizerState) {
        this.params = params;
        this.optimizerState = new ArrayList<>(optimizerState);
        this.bestParams = params.clone();
    }
}
