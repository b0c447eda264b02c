package sparkprop.train;

import sparkprop.shards.ShardLayout;
import java.io.Serializable;

/** Everything a task needs to know about a step besides the parameters: where it is and how big. */
public record StepPlan(long seed, int holdout, int epoch, int step, int batch, ShardLayout layout) implements Serializable {
}
