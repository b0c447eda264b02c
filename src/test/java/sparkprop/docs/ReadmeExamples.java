package sparkprop.docs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import sparkprop.ml.NeuralNetClassificationModel;

/**
 * The README's Java examples, compiled with the tests so none can rot; {@code ReadmeExamplesTest}
 * checks that each block in the README is, line for line, in a method here. Not run: they need a
 * cluster's paths.
 */
final class ReadmeExamples {
    private ReadmeExamples() {
    }

    static void scoringAStream(SparkSession spark, StructType schema) throws Exception {
        NeuralNetClassificationModel model = NeuralNetClassificationModel.load("hdfs:///models/mnist");
        Dataset<Row> incoming = spark.readStream().schema(schema).parquet("hdfs:///incoming/");  // ts, features
        model.transform(incoming.withWatermark("ts", "1 minute"))
            .groupBy(functions.window(functions.col("ts"), "1 minute"), functions.col("prediction")).count()
            .writeStream().outputMode("append").format("parquet").option("path", "hdfs:///scored/")
            .option("checkpointLocation", "hdfs:///checkpoints/scored/").start();
    }

    static long[] servingWithOnnxRuntime(float[][] pixels) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = env.createSession("model.onnx", new OrtSession.SessionOptions());
        long[] digit = (long[]) session.run(Map.of("features", OnnxTensor.createTensor(env, pixels))).get("class").get().getValue();
        return digit;
    }
}
