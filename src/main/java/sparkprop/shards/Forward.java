package sparkprop.shards;

import sparkprop.core.Backprop;
import sparkprop.core.NetworkSpec;
import sparkprop.data.Examples;

/**
 * The forward pass over cached examples in chunks, shared by the training loop's scoring and the
 * evaluation job; free of Spark so it can be tested alone. Work buffers are kept per thread.
 */
public final class Forward {
    /** Examples per forward pass: large enough for sgemm to be efficient, small enough to stay in cache. */
    static final int CHUNK = 500;
    private static final ThreadLocal<Workspace> WORKSPACE = new ThreadLocal<>();

    private Forward() {
    }

    private record Workspace(NetworkSpec spec, Backprop backprop, float[] x, int[] y, int[] predicted) {
        static Workspace of(NetworkSpec spec) {
            Workspace w = WORKSPACE.get();
            if (w == null || !w.spec.equals(spec)) {
                w = new Workspace(spec, new Backprop(spec), new float[spec.inputSize() * CHUNK], new int[CHUNK], new int[CHUNK]);
                WORKSPACE.set(w);
            }
            return w;
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
        Workspace w = Workspace.of(spec);
        for (int from = 0; from < indices.length; from += CHUNK) {
            int n = Math.min(CHUNK, indices.length - from);
            examples.toInputs(indices, from, n, w.x, w.y);
            float[] output = w.backprop.forward(params, w.x, n);
            Backprop.argmax(output, spec.outputSize(), n, w.predicted);
            consumer.accept(from, n, output, w.y, w.predicted);
        }
    }

    /** Loss and correct predictions over the given examples. */
    public static Score score(NetworkSpec spec, float[] params, Examples examples, int[] indices) {
        long[] correct = {0};
        double[] loss = {0};
        forward(spec, params, examples, indices, (from, n, output, labels, predicted) -> {
            for (int j = 0; j < n; j++) if (predicted[j] == labels[j]) correct[0]++;
            loss[0] += spec.loss().loss(output, labels, spec.outputSize(), n);
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
