package sparkprop.eval;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import sparkprop.core.Model;
import sparkprop.data.DigitPicture;
import sparkprop.ml.NeuralNetClassificationModel;
import sparkprop.tables.TableReader;

/**
 * {@code predict --data}: a saved model scored over many inputs as a Spark batch job, one output
 * row per input: its {@code id} (the picture's path, or the table row's place in file order),
 * the table's {@code label} when it has one, the {@code prediction}, its {@code probability}, and
 * the class probabilities {@code p0..pK-1}. Pictures get the local {@code predict}'s MNIST-style
 * preprocessing; one that cannot be read gets its {@code error} instead of a prediction, and the
 * rest are still scored.
 */
public final class BatchPrediction {
    /** Picture file names the job reads from a folder; the same as the local predict's. */
    public static final List<String> PICTURES = List.of(".png", ".jpg", ".jpeg", ".gif", ".bmp");
    /** Pictures decoded and scored per forward pass. */
    private static final int BLOCK = 256;

    private BatchPrediction() {
    }

    /** Every picture under {@code folder} (recursively), read by the executors with Spark's binaryFile source. */
    public static Dataset<Row> pictures(SparkSession spark, String folder, Model model) {
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(folder);
        Column picture = functions.lit(false);
        for (String e : PICTURES) picture = picture.or(functions.lower(functions.col("path")).endsWith(e));
        JavaRDD<Row> scored = files.where(picture).select("path", "content").javaRDD().mapPartitions(rows -> scorePictures(rows, model));
        return spark.createDataFrame(scored, pictureSchema(model.spec().outputSize())).orderBy("id");
    }

    private static Iterator<Row> scorePictures(Iterator<Row> rows, Model model) {
        int side = DigitImages.side(model.spec().inputSize()), width = side * side, k = model.spec().outputSize();
        List<Row> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<byte[]> digits = new ArrayList<>();
        while (rows.hasNext() || !names.isEmpty()) {
            if (rows.hasNext() && names.size() < BLOCK) {
                Row r = rows.next();
                String path = r.getString(0);
                try {
                    BufferedImage image = DigitPicture.read(new ByteArrayInputStream((byte[]) r.get(1)), path);
                    if (image == null) {
                        out.add(failed(path, "not a picture this reader knows (PNG, JPEG, GIF, BMP)", k));
                        continue;
                    }
                    digits.add(DigitPicture.toDigit(image, side, path));
                    names.add(path);
                } catch (IOException | RuntimeException e) { // DataException too: a picture too small or blank
                    out.add(failed(path, e.getMessage(), k));
                }
                continue;
            }
            int n = names.size();
            float[] p = model.predict(model.inputs(digits), n);
            for (int j = 0; j < n; j++) {
                Object[] values = new Object[4 + k];
                int best = 0;
                for (int c = 1; c < k; c++) if (p[j * k + c] > p[j * k + best]) best = c;
                values[0] = names.get(j);
                values[1] = best;
                values[2] = (double) p[j * k + best];
                for (int c = 0; c < k; c++) values[3 + c] = (double) p[j * k + c];
                out.add(RowFactory.create(values));
            }
            names.clear();
            digits.clear();
        }
        return out.iterator();
    }

    private static Row failed(String path, String error, int k) {
        Object[] values = new Object[4 + k];
        values[0] = path;
        values[3 + k] = error == null ? "cannot be read" : error;
        return RowFactory.create(values);
    }

    private static StructType pictureSchema(int k) {
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("id", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("prediction", DataTypes.IntegerType, true));
        fields.add(DataTypes.createStructField("probability", DataTypes.DoubleType, true));
        for (int c = 0; c < k; c++) fields.add(DataTypes.createStructField("p" + c, DataTypes.DoubleType, true));
        fields.add(DataTypes.createStructField("error", DataTypes.StringType, true));
        return DataTypes.createStructType(fields);
    }

    /**
     * Every row of a table, scored in blocks by the spark.ml model ({@link NeuralNetClassificationModel#transform}),
     * which applies the model's input scaling.
     */
    public static Dataset<Row> table(SparkSession spark, TableReader.Table table, Model model) throws IOException {
        TableReader.Numbered rows = TableReader.read(spark, table, model.spec().inputSize(), 0, 1);
        JavaRDD<Row> numbered = rows.trainRows().map(r -> {
            if (r._1().size() > 3 && !r._1().isNullAt(3)) throw new sparkprop.core.BadInputException(r._1().getString(3)); // a CSV line of another width
            return RowFactory.create(r._1().getLong(2), r._1().get(0), r._1().get(1));
        });
        StructType schema = DataTypes.createStructType(List.of(DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("label", DataTypes.DoubleType, true),
                DataTypes.createStructField("features", SQLDataTypes.VectorType(), true)));
        Dataset<Row> scored = new NeuralNetClassificationModel("predict", model).transform(spark.createDataFrame(numbered, schema));
        Column probabilities = org.apache.spark.ml.functions.vector_to_array(functions.col("probability"), "float64");
        List<Column> out = new ArrayList<>(List.of(functions.col("id")));
        if (scored.where(functions.col("label").isNotNull()).limit(1).count() > 0) out.add(functions.col("label").cast(DataTypes.IntegerType));
        out.add(functions.col("prediction").cast(DataTypes.IntegerType).as("prediction"));
        out.add(functions.array_max(probabilities).as("probability"));
        for (int c = 0; c < model.spec().outputSize(); c++) out.add(probabilities.getItem(c).as("p" + c));
        return scored.select(out.toArray(new Column[0])).orderBy("id");
    }

    /** True for file names the picture job reads. */
    public static boolean isPicture(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return PICTURES.stream().anyMatch(n::endsWith);
    }
}
