package sparkprop.train;

import java.util.ArrayList;
import java.util.List;
import sparkprop.core.NetworkSpec;
import sparkprop.core.Optimizer;

/**
 * Everything the driver's loop carries from one epoch to the next: parameters, the optimizer with
 * its state, the moving average with {@code --ema}, the kept model and the history. With it (and
 * the seed, from which every random choice is derived per epoch and step) a run continues exactly
 * where it stopped. {@link Checkpoint} writes and reads it; {@link DriverStep} advances it.
 */
public final class TrainingState {
    private final float[] params;
    private final Optimizer optimizer;
    private final float[] average;
    private final ModelSelection selection;
    private final List<EpochMetrics> history;
    private int epochsDone;

    TrainingState(float[] params, Optimizer optimizer, float[] average, ModelSelection selection, List<EpochMetrics> history, int epochsDone) {
        this.params = params;
        this.optimizer = optimizer;
        this.average = average;
        this.selection = selection;
        this.history = new ArrayList<>(history);
        this.epochsDone = epochsDone;
    }

    /** The start of a run: initialised parameters, zeroed optimizer state, the average (with --ema) equal to the parameters. */
    public static TrainingState fresh(TrainConfig config, NetworkSpec spec) {
        float[] params = new float[spec.parameterCount()];
        config.init().initialize(spec, params, config.seed(), config.initStd());
        return new TrainingState(params, config.newOptimizer(params.length), config.ema() > 0 ? params.clone() : null,
                new ModelSelection(config.validation() > 0, params), List.of(), 0);
    }

    /** The raw parameters training follows (live). */
    public float[] params() {
        return params;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** With --ema, the moving average of the parameters; else null. */
    public float[] average() {
        return average;
    }

    /** What is scored, selected and saved: the average with --ema, else the parameters. */
    public float[] model() {
        return average != null ? average : params;
    }

    public ModelSelection selection() {
        return selection;
    }

    public List<EpochMetrics> history() {
        return List.copyOf(history);
    }

    public int epochsDone() {
        return epochsDone;
    }

    /** Records an epoch's metrics and offers its model to the selection. */
    void endEpoch(EpochMetrics metrics) {
        history.add(metrics);
        epochsDone = metrics.epoch();
        selection.offer(metrics.epoch(), metrics.valLoss(), model());
    }
}
