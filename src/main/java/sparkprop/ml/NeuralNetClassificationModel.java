package sparkprop.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.Tuple3;
import sparkprop.core.Backprop;
import sparkprop.core.Loss;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.storage.Location;
import sparkprop.tables.TableShards;

/**
 * A trained network as a spark.ml Model. {@code transform} adds {@code rawPrediction} (the
 * network's outputs: softmax probabilities with loss ce), {@code probability} and
 * {@code prediction}, forwarding {@code blockSize} rows at a time through one sgemm per layer.
 * Saved as spark.ml's metadata plus our documented {@code model.bin} in {@code data/}, on any
 * Hadoop path; no Java serialization.
 */
public final class NeuralNetClassificationModel extends ProbabilisticClassificationModel<Vector, NeuralNetClassificationModel>
        implements MLWritable {
    static final String MODEL_FILE = "data/model.bin";
    // Set by uid() while the Scala constructors run (see ConstructionUid): no initializer here, or it would be reset after them.
    private String uid;
    private final Model model;
    private IntParam blockSize;
    /** The fit's history; none after load, as MLlib's models. */
    private transient NeuralNetTrainingSummary trainingSummary;

    /**
     * No network: what {@link java.util.ServiceLoader} (and so a Spark Connect server, which finds
     * models through {@code META-INF/services}) needs to list the class; as MLlib's models have.
     */
    public NeuralNetClassificationModel() {
        this(Identifiable$.MODULE$.randomUID("nncModel"), null);
    }

    public NeuralNetClassificationModel(String uid, Model model) {
        this(ConstructionUid.give(uid), model);
    }

    private NeuralNetClassificationModel(Void uidHandedOver, Model model) {
        super();
        uid(); // takes the handed-over uid, had the Scala constructors not already
        this.model = model;
        setDefault(blockSize(), NeuralNetParams.BLOCK_SIZE);
    }

    @Override
    public String uid() {
        if (uid == null) uid = ConstructionUid.take("nncModel");
        return uid;
    }

    /** Whether this model came from a fit in this session and so has its {@link #summary()}. */
    public boolean hasSummary() {
        return trainingSummary != null;
    }

    /** The fit's history, epoch by epoch; a loaded model has none ({@link #hasSummary()}). */
    public NeuralNetTrainingSummary summary() {
        if (trainingSummary == null) {
            throw new IllegalStateException("No training summary available for this NeuralNetClassificationModel (it was loaded, not fitted)");
        }
        return trainingSummary;
    }

    NeuralNetClassificationModel setSummary(NeuralNetTrainingSummary summary) {
        this.trainingSummary = summary;
        return this;
    }

    /**
     * Scores {@code dataset} (features and a label column of class indices, {@code labelCol}) with
     * this model: accuracy, per-class precision, recall and F1, and the confusion matrix.
     */
    public NeuralNetEvaluation evaluate(Dataset<?> dataset) {
        String label = getLabelCol();
        if (!java.util.List.of(dataset.schema().fieldNames()).contains(label)) {
            throw new sparkprop.core.BadInputException("labelCol '" + label + "': no such column to evaluate against (columns: "
                    + java.util.List.of(dataset.schema().fieldNames()) + ")");
        }
        int classes = numClasses();
        sparkprop.core.ConfusionMatrix matrix = new sparkprop.core.ConfusionMatrix(classes);
        List<Row> cells = transform(dataset).groupBy(org.apache.spark.sql.functions.col(label).cast("double"),
                org.apache.spark.sql.functions.col(getPredictionCol())).count().collectAsList();
        for (Row cell : cells) {
            double truth = cell.getDouble(0);
            if (cell.isNullAt(0) || truth != Math.rint(truth) || truth < 0 || truth >= classes) {
                throw new sparkprop.core.BadInputException("labelCol '" + label + "': value " + cell.get(0) + " is not a class index 0.."
                        + (classes - 1));
            }
            matrix.add((int) truth, (int) cell.getDouble(1), cell.getLong(2));
        }
        return new NeuralNetEvaluation(matrix);
    }

    /** The network itself: spec, parameters, input scaling. */
    public Model network() {
        return model;
    }

    public IntParam blockSize() {
        if (blockSize == null) blockSize = NeuralNetParams.blockSize(this);
        return blockSize;
    }

    public NeuralNetClassificationModel setBlockSize(int v) {
        return (NeuralNetClassificationModel) set(blockSize(), v);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        TableShards.checkSchema(schema, getFeaturesCol(), null);
        return super.transformSchema(schema);
    }

    @Override
    public int numFeatures() {
        return model.spec().inputSize();
    }

    @Override
    public int numClasses() {
        return model.spec().outputSize();
    }

    /**
     * Why a row's features cannot be scored, or null: none (null), another width, or a value float32 cannot hold (NaN,
     * infinite, beyond +-3.4e38). The rows {@code fit} refuses are refused here too, rather than scored as class 0.
     */
    static String badFeatures(Vector v, int width, String column) {
        if (v == null) return "featuresCol '" + column + "': a row has no features (null)";
        if (v.size() != width) return "featuresCol '" + column + "': a row has " + v.size() + " values but the model takes " + width;
        double[] values = v.toArray();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite((float) values[i])) {
                return "featuresCol '" + column + "': a row holds " + values[i] + " at position " + i + (Double.isNaN(values[i])
                        ? " (a missing or non-numeric value)" : Double.isFinite(values[i]) ? " (beyond float32's range, +-3.4e38)" : "")
                        + "; drop or fill such rows first (fit refuses them too)";
            }
        }
        return null;
    }

    @Override
    public Vector predictRaw(Vector features) {
        String bad = badFeatures(features, numFeatures(), getFeaturesCol());
        if (bad != null) throw new sparkprop.core.BadInputException(bad);
        float[] x = new float[numFeatures()];
        double[] v = features.toArray();
        float scale = model.input().scale();
        for (int i = 0; i < x.length; i++) x[i] = (float) v[i] * scale;
        float[] out = model.predict(x, 1);
        double[] raw = new double[out.length];
        for (int i = 0; i < out.length; i++) raw[i] = out[i];
        return Vectors.dense(raw);
    }

    @Override
    public Vector raw2probabilityInPlace(Vector raw) {
        return toProbabilities(model, raw);
    }

    /** Softmax outputs already are probabilities; the other outputs of loss mse are clamped at 0 and normalised. */
    static Vector toProbabilities(Model model, Vector raw) {
        if (model.spec().loss() != Loss.CE && raw instanceof DenseVector dense) {
            double[] v = dense.values();
            double sum = 0;
            for (int i = 0; i < v.length; i++) sum += v[i] = Math.max(v[i], 0);
            for (int i = 0; i < v.length; i++) v[i] = sum > 0 ? v[i] / sum : 1.0 / v.length;
        }
        return raw;
    }

    /** Scores whole partitions in blocks of {@code blockSize} rows instead of one forward pass per row. */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        TableShards.checkSchema(dataset.schema(), getFeaturesCol(), null);
        StructType out = transformSchema(dataset.schema(), true);
        int featuresAt = dataset.schema().fieldIndex(getFeaturesCol());
        // Spark's schema decides the order of the added columns (and leaves out those named "").
        String[] added = out.fieldNames();
        String rawCol = getRawPredictionCol(), probabilityCol = getProbabilityCol();
        int block = (Integer) getOrDefault(blockSize());
        Model m = model;
        int width = numFeatures();
        float scale = m.input().scale();
        String column = getFeaturesCol();
        MapPartitionsFunction<Row, Row> score = rows -> new Iterator<>() {
            private final List<Row> pending = new ArrayList<>();
            private final List<Row> ready = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                if (next < ready.size()) return true;
                ready.clear();
                next = 0;
                while (pending.size() < block && rows.hasNext()) pending.add(rows.next());
                if (pending.isEmpty()) return false;
                int n = pending.size(), classes = m.spec().outputSize();
                float[] x = new float[n * width];
                for (int j = 0; j < n; j++) {
                    Vector v = (Vector) pending.get(j).get(featuresAt);
                    String bad = badFeatures(v, width, column);
                    if (bad != null) throw new sparkprop.core.BadInputException(bad);
                    double[] values = v.toArray();
                    for (int i = 0; i < width; i++) x[j * width + i] = (float) values[i] * scale;
                }
                float[] output = new Backprop(m.spec()).forward(m.params(), x, n);
                for (int j = 0; j < n; j++) {
                    Row row = pending.get(j);
                    double[] r = new double[classes];
                    int best = 0;
                    for (int c = 0; c < classes; c++) {
                        r[c] = output[j * classes + c];
                        if (r[c] > r[best]) best = c;
                    }
                    List<Object> values = new ArrayList<>(out.size());
                    for (int i = 0; i < row.size(); i++) values.add(row.get(i));
                    for (int i = row.size(); i < added.length; i++) {
                        if (added[i].equals(rawCol)) values.add(Vectors.dense(r.clone()));
                        else if (added[i].equals(probabilityCol)) values.add(toProbabilities(m, Vectors.dense(r.clone())));
                        else values.add((double) best);
                    }
                    ready.add(RowFactory.create(values.toArray()));
                }
                pending.clear();
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                return ready.get(next++);
            }
        };
        Dataset<Row> scored = dataset.toDF().mapPartitions(score, Encoders.row(out));
        // Rows made by an encoder carry no column metadata: put back what transformSchema promises, the ML attributes
        // and a stream's event-time column's watermark (without it a windowed aggregation downstream is refused).
        org.apache.spark.sql.Column[] columns = new org.apache.spark.sql.Column[out.size()];
        for (int i = 0; i < columns.length; i++) {
            org.apache.spark.sql.types.StructField f = out.fields()[i];
            columns[i] = scored.col("`" + f.name().replace("`", "``") + "`").as(f.name(), f.metadata());
        }
        return scored.select(columns);
    }

    @Override
    public NeuralNetClassificationModel copy(ParamMap extra) {
        return copyValues(new NeuralNetClassificationModel(uid(), model), extra).setSummary(trainingSummary).setParent(parent());
    }

    /** javac needs this override to pick between the two inherited signatures; our summary is {@link #summary()}. */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Tuple3 findSummaryModel() {
        return super.findSummaryModel();
    }

    @Override
    public String toString() {
        return "NeuralNetClassificationModel: uid=" + uid() + ", " + model.spec() + ", input " + model.input();
    }

    // --- persistence: spark.ml's metadata, and model.bin beside it -----------------------------

    @Override
    public MLWriter write() {
        NeuralNetClassificationModel self = this;
        return new MLWriter() {
            @Override
            public void saveImpl(String path) {
                DefaultParamsWriter$.MODULE$.saveMetadata(self, path, sparkSession());
                try {
                    Location.of(path + "/" + MODEL_FILE, sparkSession().sparkContext().hadoopConfiguration(), "model path")
                            .write(ModelFile.encode(self.model));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    public static MLReader<NeuralNetClassificationModel> read() {
        return new MLReader<>() {
            @Override
            public NeuralNetClassificationModel load(String path) {
                var metadata = DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(), NeuralNetClassificationModel.class.getName());
                Location file = Location.of(path + "/" + MODEL_FILE, sparkSession().sparkContext().hadoopConfiguration(), "model path");
                try {
                    NeuralNetClassificationModel m = new NeuralNetClassificationModel(metadata.uid(), ModelFile.decode(file.read(), file.toString()));
                    metadata.getAndSetParams(m, Option.empty());
                    return m;
                } catch (IOException e) {
                    throw new UncheckedIOException(file + ": " + e.getMessage(), e);
                }
            }
        };
    }

    public static NeuralNetClassificationModel load(String path) {
        return read().load(path);
    }
}
