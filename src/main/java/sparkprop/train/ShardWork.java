package sparkprop.train;

import java.util.Iterator;
import sparkprop.core.Backprop;
import sparkprop.core.Augment;
import sparkprop.core.Dropout;
import sparkprop.core.NetworkSpec;
import sparkprop.core.Seeds;
import sparkprop.shards.ShardBlock;

/**
 * A partition's work in a training step, free of Spark so it can be tested and benchmarked alone:
 * the exact gradient sum of the step over the partition's shards. Work buffers are kept per thread
 * and reused across steps.
 */
public final class ShardWork {
    private static final ThreadLocal<Workspace> WORKSPACE = new ThreadLocal<>();
    private static final long DROPOUT = 0xD809;
    private static final long AUGMENT = 0xA065;

    private ShardWork() {
    }

    /** Buffers for one thread: the kernel, a batch of inputs, one shard's gradient and a step's sum. */
    private static final class Workspace {
        final NetworkSpec spec;
        final Backprop backprop;
        final float[] gradient;
        final GradientSum sum;
        float[] x = new float[0];
        int[] y = new int[0];
        Augment.Scratch augment;

        Workspace(NetworkSpec spec) {
            this.spec = spec;
            this.backprop = new Backprop(spec);
            this.gradient = new float[spec.parameterCount()];
            this.sum = new GradientSum(spec.parameterCount());
        }

        void ensure(int batch) {
            if (y.length < batch) {
                x = new float[spec.inputSize() * batch];
                y = new int[batch];
            }
        }
    }

    private static Workspace workspace(NetworkSpec spec) {
        Workspace w = WORKSPACE.get();
        if (w == null || !w.spec.equals(spec)) {
            w = new Workspace(spec);
            WORKSPACE.set(w);
        }
        return w;
    }

    /**
     * Sums the gradients of every shard in {@code blocks} for one step. Each shard's gradient is
     * computed on its own examples alone, with dropout masks drawn from (seed, epoch, step, shard),
     * and added exactly, so grouping shards differently gives the same bits.
     */
    public static GradientSum stepGradient(NetworkSpec spec, float[] params, Iterator<ShardBlock> blocks, StepPlan plan) {
        return stepGradient(spec, params, blocks, plan, Dropout.NONE);
    }

    public static GradientSum stepGradient(NetworkSpec spec, float[] params, Iterator<ShardBlock> blocks, StepPlan plan, Dropout dropout) {
        return stepGradient(spec, params, blocks, plan, dropout, Augment.NONE);
    }

    public static GradientSum stepGradient(NetworkSpec spec, float[] params, Iterator<ShardBlock> blocks, StepPlan plan, Dropout dropout,
                                           Augment augment) {
        GradientSum sum = new GradientSum(spec.parameterCount());
        addStepGradient(sum, workspace(spec), params, blocks, plan, dropout, augment);
        return sum;
    }

    /**
     * The same sum in its wire form, what a task returns. The sum is accumulated in this thread's
     * reused buffer: a fresh one is 8 bytes a parameter (15 MB for 784-1024-1024-10) every step.
     */
    public static byte[] encodedStepGradient(NetworkSpec spec, float[] params, Iterator<ShardBlock> blocks, StepPlan plan, Dropout dropout,
                                             Augment augment) {
        Workspace w = workspace(spec);
        w.sum.clear();
        addStepGradient(w.sum, w, params, blocks, plan, dropout, augment);
        return PackedSum.encode(w.sum);
    }

    /**
     * The same sum written straight into {@code vector} as one vector of whole numbers (the gradient, then the loss, the
     * example count and the overflow count: {@link GradientSum#endVector}), what a ring's or a shared stage's member
     * adds: no buffer of 8 bytes a parameter zeroed and copied every step.
     */
    static void stepVector(NetworkSpec spec, float[] params, Iterator<ShardBlock> blocks, StepPlan plan, Dropout dropout, Augment augment,
                           long[] vector) {
        GradientSum sum = GradientSum.writingInto(vector);
        addStepGradient(sum, workspace(spec), params, blocks, plan, dropout, augment);
        sum.endVector();
    }

    /**
     * Loss and accuracy of {@code params} on a block's examples held out for validation (the same
     * ones each epoch, drawn from the seed and the shard), or on all of them: how the Spark loop and
     * the plain loop score alike.
     */
    public static sparkprop.shards.Forward.Score score(NetworkSpec spec, float[] params, ShardBlock block, StepPlan.Run run, boolean heldOutOnly) {
        int n = block.examples().count();
        int[] indices = heldOutOnly
                ? sparkprop.shards.ShardSampler.validation(run.seed(), block.shard(), n, run.layout().share(run.holdout(), block.shard()))
                : sparkprop.shards.Forward.all(n);
        return sparkprop.shards.Forward.score(spec, params, block.examples(), indices);
    }

    private static void addStepGradient(GradientSum sum, Workspace w, float[] params, Iterator<ShardBlock> blocks, StepPlan plan, Dropout dropout,
                                        Augment augment) {
        while (blocks.hasNext()) {
            ShardBlock block = blocks.next();
            int n = plan.layout().share(plan.batch(), block.shard());
            int[] indices = block.stepIndices(plan.seed(), plan.layout().share(plan.holdout(), block.shard()),
                    plan.epoch(), plan.step(), n);
            w.ensure(n);
            block.examples().toInputs(indices, 0, n, w.x, w.y);
            if (augment.active()) distort(augment, w, n, plan, block.shard());
            long maskSeed = Seeds.derive(plan.seed(), DROPOUT, plan.epoch(), plan.step(), block.shard());
            double loss = w.backprop.lossAndGradient(params, w.x, w.y, n, w.gradient, dropout, maskSeed);
            sum.addShard(w.gradient, loss, n);
        }
    }

    /**
     * Distorts this shard's n inputs of the step in place, each with draws from (seed, epoch,
     * step, shard, its place in the shard's batch): the same on any executor and after any retry.
     */
    private static void distort(Augment augment, Workspace w, int n, StepPlan plan, int shard) {
        int width = w.spec.inputSize();
        if (w.augment == null) w.augment = new Augment.Scratch(Augment.side(width));
        for (int j = 0; j < n; j++) {
            augment.apply(w.x, j * width, w.augment, Seeds.derive(plan.seed(), AUGMENT, plan.epoch(), plan.step(), shard, j));
        }
    }
}
