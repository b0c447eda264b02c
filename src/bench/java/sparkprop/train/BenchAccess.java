package sparkprop.train;

import java.util.List;

/** What the benchmark measures inside the trainer: one distributed step, and the cached shards. */
public final class BenchAccess {
    private BenchAccess() {
    }

    public static GradientSum step(Trainer trainer, float[] params, StepPlan plan) {
        return trainer.stepGradient(params, plan);
    }

    public static List<ShardBlock> blocks(Trainer trainer) {
        return trainer.train().collect();
    }
}
