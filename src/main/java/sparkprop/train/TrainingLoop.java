package sparkprop.train;

import sparkprop.core.InputScaling;
import sparkprop.core.Model;
import sparkprop.core.NetworkSpec;
import sparkprop.shards.Forward;
import sparkprop.shards.ShardLayout;

/**
 * The training loop, written once. Each step it asks for the step's exact mean gradient and lets
 * the {@link DriverStep} update the state (or, in a ring, the tasks take the step and update
 * their replicas of the state themselves); after each epoch it scores the model and offers it to
 * the selection. Where a step's gradient comes from (this thread, a Spark job per step, or the
 * tasks of a long-running stage) is the only thing that differs between the plain loop and the
 * Spark loops, so they end in the same bits.
 */
final class TrainingLoop {
    /** How a step's mean gradient is obtained. */
    interface StepGradients extends AutoCloseable {
        /** Writes the mean gradient of step {@code plan} at {@code params} into {@code gradient}; returns its loss and count. */
        GradientSum.Totals compute(float[] params, StepPlan plan, float[] gradient);

        /**
         * Whether this source's tasks update replicas of the state themselves (a ring's members): the loop then calls
         * {@link #step} instead of {@link #compute} and updating.
         */
        default boolean replicated() {
            return false;
        }

        /**
         * Takes step {@code plan} (number {@code globalStep} over the run) from {@code state} on the tasks' replicas and
         * returns its loss and count; the driver's {@code state} is brought up to the step where {@link #stateCurrent}
         * says so, and always after an epoch's last step. Only for a {@link #replicated} source.
         */
        default GradientSum.Totals step(TrainingState state, StepPlan plan, long globalStep) {
            throw new UnsupportedOperationException("the driver updates the state of " + getClass().getSimpleName());
        }

        /** Whether the driver's state is that after the last step taken (always, unless {@link #replicated}). */
        default boolean stateCurrent() {
            return true;
        }

        /** The epoch's last step is done: whatever holds the executors for steps lets them go, so the model can be scored. */
        default void epochDone() {
        }

        /** Seconds a task spent computing its sums in the epoch just done, the mean over tasks (NaN: not measured). Called after {@link #epochDone}. */
        default double epochComputeSeconds() {
            return Double.NaN;
        }

        /** The run ended, normally or not. */
        @Override
        default void close() {
        }
    }

    /** How the model is judged after each epoch. */
    interface EpochScores {
        /** On the examples held out of training, or the separate validation set (called only when the run selects by validation). */
        Forward.Score validation(float[] model);

        /** On the test set ({@link Forward.Score#EMPTY} for none). */
        Forward.Score test(float[] model);
    }

    private final TrainConfig config;
    private final NetworkSpec spec;
    private final ShardLayout layout;
    private final int stepsPerEpoch;
    private final InputScaling input;

    TrainingLoop(TrainConfig config, NetworkSpec spec, ShardLayout layout, int stepsPerEpoch, InputScaling input) {
        this.config = config;
        this.spec = spec;
        this.layout = layout;
        this.stepsPerEpoch = stepsPerEpoch;
        this.input = input;
    }

    /** Runs from {@code state} until {@code untilEpoch} epochs are done (at most the configured number), or early stop. */
    TrainingResult run(TrainingState state, StepGradients gradients, EpochScores scores, TrainingListener listener, int untilEpoch) {
        DriverStep driver = new DriverStep(config, spec, stepsPerEpoch);
        float[] gradient = new float[spec.parameterCount()];
        long start = System.nanoTime();
        boolean stoppedEarly = false;
        for (int epoch = state.epochsDone(); epoch < Math.min(untilEpoch, config.epochs()); epoch++) {
            long epochStart = System.nanoTime();
            float rate = 0;
            long seenHere = 0; // examples of the steps this process ran, for the throughput
            long gradientNanos = 0, updateNanos = 0;
            // A run resumed from a checkpoint taken within an epoch continues at its next step.
            for (int step = state.epochProgress().stepsDone(); step < stepsPerEpoch; step++) {
                StepPlan plan = new StepPlan(config.seed(), config.validation(), epoch, step, config.batchSize(), layout);
                long global = (long) epoch * stepsPerEpoch + step;
                long asked = System.nanoTime();
                GradientSum.Totals sum = gradients.replicated() ? gradients.step(state, plan, global)
                        : gradients.compute(state.params(), plan, gradient);
                long summed = System.nanoTime();
                gradientNanos += summed - asked;
                if (sum.diverged() || !Double.isFinite(sum.lossSum())) {
                    throw new TrainingDivergedException("training diverged at epoch " + (epoch + 1) + ", step " + (step + 1)
                            + ": the loss became NaN or infinite; try a lower --learning-rate (now " + config.learningRate() + ")");
                }
                // A ring's members have updated their replicas; the driver only follows the schedule.
                rate = gradients.replicated() ? driver.schedule().rate(global) : driver.apply(state, global, gradient);
                updateNanos += System.nanoTime() - summed;
                state.endStep(sum.lossSum(), sum.examples());
                seenHere += sum.examples();
                TrainingState.Progress done = state.epochProgress();
                listener.stepFinished(epoch, step, stepsPerEpoch, done.lossSum() / done.examples(), done.examples(),
                        (System.nanoTime() - epochStart) / 1e9);
                if (step + 1 < stepsPerEpoch && gradients.stateCurrent()) listener.midEpoch(state);
            }
            TrainingState.Progress epochDone = state.epochProgress();
            double lossSum = epochDone.lossSum();
            long seen = epochDone.examples();
            gradients.epochDone();
            double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
            Forward.Score validation = state.selection().byValidation() ? scores.validation(state.model()) : Forward.Score.EMPTY;
            Forward.Score test = scores.test(state.model());
            // The epoch's last update is followed by no step whose loss would show it: divergence is looked for here too.
            if (!finite(state.model()) || (validation.count() > 0 && !Double.isFinite(validation.meanLoss()))
                    || (test.count() > 0 && !Double.isFinite(test.meanLoss()))) {
                throw new TrainingDivergedException("training diverged in epoch " + (epoch + 1) + ": after its last step the parameters or "
                        + "the scores became NaN or infinite; try a lower --learning-rate (now " + config.learningRate() + ")");
            }
            EpochMetrics metrics = new EpochMetrics(epoch + 1, lossSum / seen, validation.meanLoss(), validation.accuracy(),
                    test.meanLoss(), test.accuracy(), epochSeconds, seenHere / epochSeconds, rate, stepsPerEpoch, gradientNanos / 1e9,
                    gradients.epochComputeSeconds(), updateNanos / 1e9);
            state.endEpoch(metrics);
            listener.epochFinished(metrics, state);
            if (state.selection().shouldStop(config.patience())) {
                stoppedEarly = true;
                break;
            }
        }
        ModelSelection kept = state.selection();
        return new TrainingResult(new Model(spec, kept.bestParams().clone(), input), kept.bestEpoch(), state.history(),
                (System.nanoTime() - start) / 1e9, stoppedEarly);
    }

    private static boolean finite(float[] values) {
        for (float v : values) if (!Float.isFinite(v)) return false;
        return true;
    }
}
