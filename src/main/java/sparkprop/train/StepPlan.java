package sparkprop.train;

import sparkprop.shards.ShardLayout;
import java.io.Serializable;

/** Everything a task needs to know about a step besides the parameters: where it is and how big. */
public record StepPlan(long seed, int holdout, int epoch, int step, int batch, ShardLayout layout) implements Serializable {
    /** What every step of a run shares: a task is given it once and makes each step's plan from it. */
    public record Run(long seed, int holdout, int batch, ShardLayout layout) implements Serializable {
        static Run of(TrainConfig config, ShardLayout layout) {
            return new Run(config.seed(), config.validation(), config.batchSize(), layout);
        }

        StepPlan plan(int epoch, int step) {
            return new StepPlan(seed, holdout, epoch, step, batch, layout);
        }
    }
}
