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

    public static List<ShardBlock> blocks(Trainer trainer) {
        return trainer.train().collect();
    }
}
