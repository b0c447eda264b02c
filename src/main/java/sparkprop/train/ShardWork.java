package sparkprop.train;

import java.util.Iterator;
import sparkprop.core.Backprop;
import sparkprop.core.Dropout;
import sparkprop.core.NetworkSpec;
import sparkprop.core.Seeds;
import sparkprop.data.Examples;

/**
 * The per-partition work of the loop, free of Spark so it can be tested and benchmarked alone:
 * the gradient sum of a step over a partition's shards, and loss/accuracy over examples.
 * Work buffers are kept per thread and reused across steps.
 */
public final class ShardWork {
    private static final ThreadLocal<Workspace> WORKSPACE = new ThreadLocal<>();
    private static final long DROPOUT = 0xD809;

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
        GradientSum sum = new GradientSum(spec.parameterCount());
        addStepGradient(sum, workspace(spec), params, blocks, plan, dropout);
        return sum;
    }

    /**
     * The same sum in its wire form, what a task returns. The sum is accumulated in this thread's
     * reused buffer: a fresh one is 8 bytes a parameter (15 MB for 784-1024-1024-10) every step.
     */
    public static byte[] encodedStepGradient(NetworkSpec spec, float[] params, Iterator<ShardBlock> blocks, StepPlan plan, Dropout dropout) {
        Workspace w = workspace(spec);
        w.sum.clear();
        addStepGradient(w.sum, w, params, blocks, plan, dropout);
        return w.sum.encode();
    }

    private static void addStepGradient(GradientSum sum, Workspace w, float[] params, Iterator<ShardBlock> blocks, StepPlan plan, Dropout dropout) {
        while (blocks.hasNext()) {
            ShardBlock block = blocks.next();
            int n = plan.layout().share(plan.batch(), block.shard());
            int[] indices = block.stepIndices(plan.seed(), plan.layout().share(plan.holdout(), block.shard()),
                    plan.epoch(), plan.step(), n);
            w.ensure(n);
            block.examples().toInputs(indices, 0, n, w.x, w.y);
            long maskSeed = Seeds.derive(plan.seed(), DROPOUT, plan.epoch(), plan.step(), block.shard());
            double loss = w.backprop.lossAndGradient(params, w.x, w.y, n, w.gradient, dropout, maskSeed);
            sum.addShard(w.gradient, loss, n);
        }
    }

    /** What a chunked forward pass hands over: a chunk's outputs, labels and predicted classes. */
    public interface ChunkConsumer {
        /**
         * @param from   position of the chunk's first example in the {@code indices} given
         * @param output (k, n) outputs, valid only during the call (it is the work buffer)
         */
        void accept(int from, int n, float[] output, int[] labels, int[] predicted);
    }

    /** Runs the network over {@code examples[indices]} in chunks, reusing this thread's buffers. */
    public static void forward(NetworkSpec spec, float[] params, Examples examples, int[] indices, ChunkConsumer consumer) {
        Workspace w = workspace(spec);
        final int chunk = 500;
        w.ensure(chunk);
        int[] predicted = new int[chunk];
        for (int from = 0; from < indices.length; from += chunk) {
            int n = Math.min(chunk, indices.length - from);
            examples.toInputs(indices, from, n, w.x, w.y);
            float[] output = w.backprop.forward(params, w.x, n);
            Backprop.argmax(output, spec.outputSize(), n, predicted);
            consumer.accept(from, n, output, w.y, predicted);
        }
    }

    /** Loss and correct predictions over the given examples. */
    public static Score score(NetworkSpec spec, float[] params, Examples examples, int[] indices) {
        long[] correct = {0};
        double[] loss = {0};
        forward(spec, params, examples, indices, (from, n, output, labels, predicted) -> {
            for (int j = 0; j < n; j++) if (predicted[j] == labels[j]) correct[0]++;
            loss[0] += spec.loss().lossAndDelta(spec.output(), output, labels, spec.outputSize(), n);
        });
        return new Score(correct[0], loss[0], indices.length);
    }

    /** 0, 1, ..., n-1: every example of a block, in order. */
    public static int[] all(int n) {
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) indices[i] = i;
        return indices;
    }

    /** Correct predictions and summed loss over some examples; adds up across partitions. */
    public record Score(long correct, double lossSum, long count) implements java.io.Serializable {
        public static final Score EMPTY = new Score(0, 0, 0);

        public Score plus(Score o) {
            return new Score(correct + o.correct, lossSum + o.lossSum, count + o.count);
        }

        public double accuracy() {
            return count == 0 ? Double.NaN : (double) correct / count;
        }

        public double meanLoss() {
            return count == 0 ? Double.NaN : lossSum / count;
        }
    }
}
