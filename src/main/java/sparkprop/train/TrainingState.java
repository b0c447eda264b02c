package sparkprop.train;

import java.util.ArrayList;
import java.util.List;
import sparkprop.core.NetworkSpec;
import sparkprop.core.Optimizer;

/**
 * Everything the driver's loop carries from one step to the next: parameters, the optimizer with
 * its state, the moving average with {@code --ema}, the kept model and the history, and how far
 * into the current epoch it is (steps done, and their loss and examples for the epoch's mean).
 * With it (and the seed, from which every random choice is derived per epoch and step) a run
 * continues exactly where it stopped, at an epoch's end or within one. {@link Checkpoint} writes
 * and reads it; {@link DriverStep} advances it.
 */
public final class TrainingState {
    private final float[] params;
    private final Optimizer optimizer;
    private final float[] average;
    private final ModelSelection selection;
    private final List<EpochMetrics> history;
    private int epochsDone;
    private Progress epochProgress;

    /** How far into the epoch after {@code epochsDone} a run is: its steps done, and the sum of their losses and examples. */
    public record Progress(int stepsDone, double lossSum, long examples) {
        public static final Progress NONE = new Progress(0, 0, 0);
    }

    TrainingState(float[] params, Optimizer optimizer, float[] average, ModelSelection selection, List<EpochMetrics> history, int epochsDone,
                  Progress epoch) {
        this.params = params;
        this.optimizer = optimizer;
        this.average = average;
        this.selection = selection;
        this.history = new ArrayList<>(history);
        this.epochsDone = epochsDone;
        this.epochProgress = epoch;
    }

    /** The start of a run: initialised parameters, zeroed optimizer state, the average (with --ema) equal to the parameters. */
    public static TrainingState fresh(TrainConfig config, NetworkSpec spec) {
        return fresh(config, spec, config.validation() > 0);
    }

    /** The same, keeping the model by validation loss when {@code byValidation} (held-out examples, or a separate validation set). */
    public static TrainingState fresh(TrainConfig config, NetworkSpec spec, boolean byValidation) {
        float[] params = new float[spec.parameterCount()];
        config.init().initialize(spec, params, config.seed(), config.initStd());
        return new TrainingState(params, config.newOptimizer(params.length), config.ema() > 0 ? params.clone() : null,
                new ModelSelection(byValidation, params), List.of(), 0, Progress.NONE);
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

    /** How far into the next epoch the run is ({@link Progress#NONE} at an epoch's end). */
    public Progress epochProgress() {
        return epochProgress;
    }

    /** Records a step of the current epoch: its summed loss and its examples. */
    void endStep(double lossSum, long examples) {
        epochProgress = new Progress(epochProgress.stepsDone() + 1, epochProgress.lossSum() + lossSum, epochProgress.examples() + examples);
    }

    /** Records an epoch's metrics and offers its model to the selection. */
    void endEpoch(EpochMetrics metrics) {
        history.add(metrics);
        epochsDone = metrics.epoch();
        epochProgress = Progress.NONE;
        selection.offer(metrics.epoch(), metrics.valLoss(), model());
    }
}
