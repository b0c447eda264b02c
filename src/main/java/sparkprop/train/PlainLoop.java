package sparkprop.train;

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
 * The training loop without Spark, in one thread: the same shards, per-shard gradients and exact
 * sums, the same {@link DriverStep} and {@link ModelSelection}, so it ends in the same bits as
 * {@link Trainer} on any partitioning. It is the reference the distributed loop is tested against,
 * and the benchmark's measure of what Spark costs.
 */
public final class PlainLoop {
    private PlainLoop() {
    }

    /** Trains on {@code train} (all in memory), scoring {@code test} after each epoch. */
    public static TrainingResult run(TrainConfig config, Examples train, Examples test) {
        NetworkSpec spec = config.network(train.width());
        ShardLayout layout = new ShardLayout(train.count(), config.shards(), 1);
        List<ShardBlock> blocks = new ArrayList<>();
        for (int s = 0; s < config.shards(); s++) blocks.add(new ShardBlock(s, layout.shardStart(s), train.slice(layout.shardStart(s), layout.shardSize(s))));
        int steps = ShardSampler.stepsPerEpoch(layout, config.batchSize(), config.validation());
        TrainingState state = TrainingState.fresh(config, spec);
        DriverStep driver = new DriverStep(config, spec, steps);
        float[] gradient = new float[spec.parameterCount()];
        long start = System.nanoTime();
        boolean stoppedEarly = false;
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            long epochStart = System.nanoTime();
            double lossSum = 0;
            float rate = 0;
            for (int step = 0; step < steps; step++) {
                StepPlan plan = new StepPlan(config.seed(), config.validation(), epoch, step, config.batchSize(), layout);
                GradientSum sum = ShardWork.stepGradient(spec, state.params(), blocks.iterator(), plan, config.dropoutRates(), config.augment());
                sum.meanGradient(gradient, config.batchSize());
                rate = driver.apply(state, (long) epoch * steps + step, gradient);
                lossSum += sum.lossSum();
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            Forward.Score validation = Forward.Score.EMPTY;
            if (config.validation() > 0) {
                for (ShardBlock b : blocks) {
                    int[] held = ShardSampler.validation(config.seed(), b.shard(), b.examples().count(), layout.share(config.validation(), b.shard()));
                    validation = validation.plus(Forward.score(spec, state.model(), b.examples(), held));
                }
            }
            Forward.Score score = Forward.score(spec, state.model(), test, Forward.all(test.count()));
            long seen = (long) steps * config.batchSize();
            state.endEpoch(new EpochMetrics(epoch + 1, lossSum / seen, validation.meanLoss(), validation.accuracy(), score.meanLoss(),
                    score.accuracy(), seconds, seen / seconds, rate, steps));
            if (state.selection().shouldStop(config.patience())) {
                stoppedEarly = true;
                break;
            }
        }
        ModelSelection kept = state.selection();
        return new TrainingResult(new Model(spec, kept.bestParams().clone()), kept.bestEpoch(), state.history(),
                (System.nanoTime() - start) / 1e9, stoppedEarly);
    }
}
