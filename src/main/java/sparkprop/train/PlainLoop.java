package sparkprop.train;

import sparkprop.core.InputScaling;
import java.util.ArrayList;
import java.util.List;
import sparkprop.core.Model;
import sparkprop.core.NetworkSpec;
import sparkprop.data.Examples;
import sparkprop.shards.Forward;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardLayout;
import sparkprop.shards.ShardSampler;

/**
 * The training loop without Spark, in one thread: the same {@link TrainingLoop} with every shard's
 * gradient computed here. The reference the distributed loop is tested against, and the
 * benchmark's measure of what Spark costs.
 */
public final class PlainLoop {
    private PlainLoop() {
    }

    /** Trains on {@code train} (all in memory), scoring {@code test} after each epoch. */
    public static TrainingResult run(TrainConfig given, Examples train, Examples test) {
        TrainConfig config = given.withShardsFor(1); // --shards auto on one thread: the 4 shards of one partition
        NetworkSpec spec = config.network(train.width());
        ShardLayout layout = new ShardLayout(train.count(), config.shards(), 1);
        List<ShardBlock> blocks = new ArrayList<>();
        for (int s = 0; s < config.shards(); s++) blocks.add(new ShardBlock(s, layout.shardStart(s), train.slice(layout.shardStart(s), layout.shardSize(s))));
        TrainingLoop.StepGradients here = (params, plan, gradient) -> {
            GradientSum sum = ShardWork.stepGradient(spec, params, blocks.iterator(), plan, config.dropoutRates(), config.augment());
            sum.meanGradient(gradient, plan.batch());
            return sum.totals();
        };
        TrainingLoop.EpochScores scores = new TrainingLoop.EpochScores() {
            @Override
            public Forward.Score validation(float[] model) {
                Forward.Score total = Forward.Score.EMPTY;
                for (ShardBlock b : blocks) total = total.plus(ShardWork.score(spec, model, b, StepPlan.Run.of(config, layout), true));
                return total;
            }

            @Override
            public Forward.Score test(float[] model) {
                return Forward.score(spec, model, test, Forward.all(test.count()));
            }
        };
        int steps = ShardSampler.stepsPerEpoch(layout, config.batchSize(), config.validation());
        return new TrainingLoop(config, spec, layout, steps, InputScaling.UINT8).run(TrainingState.fresh(config, spec), here, scores,
                new TrainingListener() { }, config.epochs());
    }
}
