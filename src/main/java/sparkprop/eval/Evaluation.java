package sparkprop.eval;

import sparkprop.core.ConfusionMatrix;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import sparkprop.core.Model;
import sparkprop.data.ExampleSource;
import sparkprop.core.BadInputException;
import sparkprop.shards.Forward;
import sparkprop.shards.HadoopConf;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardLayout;
import sparkprop.shards.ShardedData;

/**
 * Evaluation as a Spark batch job: the examples are read by the executors the way training reads
 * them (byte ranges of raw IDX files), the model is broadcast, and each partition returns its
 * confusion matrix and loss, which add up on the driver.
 */
public final class Evaluation {
    private final JavaSparkContext sc;
    private final Model model;
    private final JavaRDD<ShardBlock> blocks;

    /** Reads and caches the examples of {@code source}, one partition per core. */
    public Evaluation(JavaSparkContext sc, Model model, ExampleSource source) {
        this(sc, model, load(sc, model, source));
    }

    /** Over examples already cached (the training run's test set), so nothing is read twice. */
    public Evaluation(JavaSparkContext sc, Model model, JavaRDD<ShardBlock> blocks) {
        this.sc = sc;
        this.model = model;
        this.blocks = blocks;
    }

    private static JavaRDD<ShardBlock> load(JavaSparkContext sc, Model model, ExampleSource source) {
        check(model, source);
        int parts = Math.min(sc.defaultParallelism(), source.count());
        JavaRDD<ShardBlock> pixels = ShardedData.load(sc, source, new ShardLayout(source.count(), parts, parts), model.spec().outputSize(),
                HadoopConf.of(sc.hadoopConfiguration()));
        if (model.input() == sparkprop.core.InputScaling.UINT8) return pixels;
        // A model trained on a float table takes raw values: the pixels as numbers 0..255, not divided by 255.
        JavaRDD<ShardBlock> values = pixels.map(b -> new ShardBlock(b.shard(), b.firstExample(), b.examples().pixelsAsValues()));
        sparkprop.shards.ShardCache.persist(values, source.name());
        pixels.unpersist(false);
        return values;
    }

    /** Fails, naming both widths, when the model cannot read the data. */
    public static void check(Model model, ExampleSource source) {
        if (model.spec().inputSize() != source.width()) {
            throw new BadInputException("the model expects " + model.spec().inputSize() + " inputs but " + source.name()
                    + " has " + source.width() + " pixels per example");
        }
    }

    public ConfusionMatrix confusion() {
        Broadcast<Model> shared = sc.broadcast(model);
        try {
            return blocks.map(block -> {
                Model m = shared.value();
                ConfusionMatrix matrix = new ConfusionMatrix(m.spec().outputSize());
                Forward.forward(m.spec(), m.params(), block.examples(), Forward.all(block.examples().count()), (first, n, output, labels, predicted) -> {
                    for (int j = 0; j < n; j++) matrix.add(labels[j], predicted[j]);
                    matrix.addLoss(m.spec().loss().loss(output, labels, m.spec().outputSize(), n));
                });
                return matrix;
            }).reduce(ConfusionMatrix::merge);
        } finally {
            shared.destroy();
        }
    }

    /** Saves one CSV line per example as text part files under {@code dir}: index, label, predicted class, then the class probabilities. */
    public void savePredictionLines(String dir) {
        Broadcast<Model> shared = sc.broadcast(model);
        try {
            predictionLines(shared).saveAsTextFile(dir);
        } finally {
            shared.destroy();
        }
    }

    private JavaRDD<String> predictionLines(Broadcast<Model> shared) {
        return blocks.flatMap(block -> {
            Model m = shared.value();
            int k = m.spec().outputSize();
            List<String> lines = new ArrayList<>(block.examples().count());
            Forward.forward(m.spec(), m.params(), block.examples(), Forward.all(block.examples().count()), (first, n, output, labels, predicted) -> {
                for (int j = 0; j < n; j++) {
                    StringBuilder line = new StringBuilder();
                    line.append(block.firstExample() + first + j).append(',').append(labels[j]).append(',').append(predicted[j]);
                    for (int c = 0; c < k; c++) line.append(',').append(output[j * k + c]);
                    lines.add(line.toString());
                }
            });
            return lines.iterator();
        });
    }

    /** A test example the model got wrong: its pixels (empty unless the examples are uint8 pixels), the truth, the guess and how sure it was. */
    public record Misclassified(long index, int label, int predicted, float confidence, float trueProbability, byte[] pixels)
            implements java.io.Serializable {
    }

    /** The {@code k} misclassified examples the model was most sure about (lowest probability for the truth). */
    public List<Misclassified> worst(int k) {
        Broadcast<Model> shared = sc.broadcast(model);
        try {
            List<Misclassified> all = blocks.flatMap(block -> {
                Model m = shared.value();
                int classes = m.spec().outputSize(), width = block.examples().width();
                List<Misclassified> wrong = new ArrayList<>();
                Forward.forward(m.spec(), m.params(), block.examples(), Forward.all(block.examples().count()), (first, n, output, labels, predicted) -> {
                    for (int j = 0; j < n; j++) {
                        if (predicted[j] == labels[j]) continue;
                        int e = first + j;
                        byte[] pixels = block.examples().isUint8()
                                ? java.util.Arrays.copyOfRange(block.examples().pixels(), e * width, (e + 1) * width) : new byte[0];
                        wrong.add(new Misclassified(block.firstExample() + e, labels[j], predicted[j], output[j * classes + predicted[j]],
                                output[j * classes + labels[j]], pixels));
                    }
                });
                wrong.sort(WORST_FIRST);
                return wrong.subList(0, Math.min(k, wrong.size())).iterator();
            }).collect();
            List<Misclassified> sorted = new ArrayList<>(all);
            sorted.sort(WORST_FIRST);
            return sorted.subList(0, Math.min(k, sorted.size()));
        } finally {
            shared.destroy();
        }
    }

    private static final java.util.Comparator<Misclassified> WORST_FIRST = java.util.Comparator
            .comparingDouble((Misclassified m) -> m.trueProbability()).thenComparingLong(Misclassified::index);
}
