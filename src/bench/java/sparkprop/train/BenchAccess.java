package sparkprop.train;

import sparkprop.shards.ShardBlock;
import java.util.List;

/** What the benchmark measures inside the trainer: one distributed step, and the cached shards. */
public final class BenchAccess {
    private BenchAccess() {
    }

    public static GradientSum.Totals step(Trainer trainer, float[] params, float[] gradient, StepPlan plan) {
        return trainer.stepGradient(params, plan, gradient);
    }

    /** One step with the aggregation path forced: the driver collects every partition's sum, or a tree reduces them. */
    public static GradientSum.Totals step(Trainer trainer, float[] params, float[] gradient, StepPlan plan, boolean tree) {
        return trainer.stepGradient(params, plan, gradient, tree);
    }

    /**
     * Steps as a run in {@code mode} takes them, to be timed one by one; close after. In the stage, the star: the ring
     * and shared memory run an epoch's steps without the driver, so their steps cannot be taken one at a time.
     */
    public static Steps steps(Trainer trainer, Sync mode) {
        return new Steps(trainer.stepGradients(mode, new TrainingListener() { }, sparkprop.collective.Topology.STAR));
    }

    /** A mode's step source. */
    public static final class Steps implements AutoCloseable {
        private final TrainingLoop.StepGradients gradients;

        Steps(TrainingLoop.StepGradients gradients) {
            this.gradients = gradients;
        }

        public GradientSum.Totals step(float[] params, StepPlan plan, float[] gradient) {
            return gradients.compute(params, plan, gradient);
        }

        /**
         * Ends the stage (its tasks add their compute time as they end) and says how long a task computed over the steps
         * taken, the mean over tasks, in seconds; NaN for a job per step, whose tasks do not report it.
         */
        public double computeSeconds() {
            gradients.epochDone();
            return gradients.epochComputeSeconds();
        }

        @Override
        public void close() {
            gradients.epochDone();
            gradients.close();
        }
    }

    public static List<ShardBlock> blocks(Trainer trainer) {
        return trainer.train().collect();
    }
}
