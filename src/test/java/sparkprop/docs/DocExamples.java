package sparkprop.docs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.MinMaxScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import sparkprop.core.Model;
import sparkprop.data.Dataset;
import sparkprop.ml.NeuralNetClassificationModel;
import sparkprop.ml.NeuralNetClassifier;
import sparkprop.train.TrainConfig;
import sparkprop.train.Trainer;
import sparkprop.train.TrainingResult;

/**
 * Every Java example in the README and docs/, compiled with the tests so none can rot:
 * {@link DocExamplesTest} checks that each block there is, line for line, in a method here. Not
 * run: they need a cluster's paths.
 */
@SuppressWarnings("unused")
final class DocExamples {
    private DocExamples() {
    }

    /** README, "Train from Java". */
    static void trainFromJava() throws Exception {
        SparkConf conf = new SparkConf().setAppName("digits");
        Trainer.tune(conf);
        JavaSparkContext sc = new JavaSparkContext(conf);
        Dataset data = Dataset.open("hdfs:///data/mnist", sc.hadoopConfiguration());
        TrainConfig config = TrainConfig.defaults().with("layers", "784,512,10").with("epochs", "10");
        TrainingResult result = Trainer.train(sc, data, config);
        Model model = result.model();
        model.save(Path.of("model.bin"));
        System.out.println("test accuracy " + result.history().get(result.bestEpoch() - 1).testAccuracy());
    }

    /** README, "In spark.ml Pipelines". */
    static void inPipelines(org.apache.spark.sql.Dataset<Row> train, org.apache.spark.sql.Dataset<Row> test) throws Exception {
        NeuralNetClassifier nn = new NeuralNetClassifier().setLayers(new int[]{784, 256, 10}).setMaxIter(8);
        NeuralNetClassificationModel model = nn.fit(train);
        org.apache.spark.sql.Dataset<Row> scored = model.transform(test);
        System.out.println(model.summary().objectiveHistory().length + " epochs");
        System.out.println("accuracy " + model.evaluate(test).accuracy());
        model.write().overwrite().save("hdfs:///models/mnist");
    }

    /** docs/api.md, the Java API. */
    static void javaApi(float[] x, int n) throws Exception {
        SparkConf conf = new SparkConf().setAppName("digits");
        Trainer.tune(conf);      // Spark settings the loop runs better with (unless you set them): see its javadoc
        JavaSparkContext sc = new JavaSparkContext(conf);
        Dataset data = Dataset.open("hdfs:///data/mnist", sc.hadoopConfiguration());   // detects the format
        TrainConfig config = TrainConfig.defaults()            // conf/train.properties, carried in the jar
                .with("layers", "784,512,10").with("epochs", "10").with("validation", "5000");
        TrainingResult result = Trainer.train(sc, data, config);
        result.history().forEach(e -> System.out.printf("epoch %d: %.4f%n", e.epoch(), e.testAccuracy()));
        Model model = result.model();                          // the best epoch by validation loss
        model.save(Path.of("model.bin"));
        int[] digits = Model.load(Path.of("model.bin")).predictClasses(x, n);  // x: (784, n) floats in [0,1]
    }

    /** docs/api.md, NeuralNetClassifier where MLlib's MultilayerPerceptronClassifier goes. */
    static void dropIn(org.apache.spark.sql.Dataset<Row> table, String[] pixelColumns) throws Exception {
        NeuralNetClassifier nn = new NeuralNetClassifier().setLayers(new int[]{784, 256, 10}).setMaxIter(8);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{new VectorAssembler().setInputCols(pixelColumns).setOutputCol("features"), nn});
        ParamMap[] grid = new ParamGridBuilder().addGrid(nn.stepSize(), new double[]{0.2, 0.4}).build();
        CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid)
                .setEvaluator(new MulticlassClassificationEvaluator()).fit(table);
        cv.write().save("hdfs:///models/digits-cv");
    }

    /** docs/api.md, scoring a stream. */
    static void scoringAStream(SparkSession spark, StructType schema) throws Exception {
        NeuralNetClassificationModel model = NeuralNetClassificationModel.load("hdfs:///models/mnist");
        org.apache.spark.sql.Dataset<Row> incoming = spark.readStream().schema(schema).parquet("hdfs:///incoming/");  // ts, features
        model.transform(incoming.withWatermark("ts", "1 minute"))
            .groupBy(functions.window(functions.col("ts"), "1 minute"), functions.col("prediction")).count()
            .writeStream().outputMode("append").format("parquet").option("path", "hdfs:///scored/")
            .option("checkpointLocation", "hdfs:///checkpoints/scored/").start();
    }

    /** docs/api.md, a whole Pipeline with cross-validation. */
    static void crossValidated(SparkSession spark, org.apache.spark.sql.Dataset<Row> test) throws Exception {
        org.apache.spark.sql.Dataset<Row> train = spark.read().format("libsvm").option("numFeatures", 784).load("hdfs:///data/mnist/train.libsvm");
        NeuralNetClassifier nn = new NeuralNetClassifier().setLayers(new int[]{784, 256, 10}).setMaxIter(8).setFeaturesCol("scaled");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{
                new MinMaxScaler().setInputCol("features").setOutputCol("scaled"), nn});
        ParamMap[] grid = new ParamGridBuilder()
                .addGrid(nn.stepSize(), new double[]{0.2, 0.4})
                .addGrid(nn.batchSize(), new int[]{256, 512})
                .build();
        CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid).setNumFolds(3)
                .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).fit(train);
        cv.write().overwrite().save("hdfs:///models/digits-cv");
        org.apache.spark.sql.Dataset<Row> scored = CrossValidatorModel.load("hdfs:///models/digits-cv").transform(test);
    }

    /** docs/commands.md, serving with ONNX Runtime. */
    static long[] servingWithOnnxRuntime(float[][] pixels) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = env.createSession("model.onnx", new OrtSession.SessionOptions());
        long[] digit = (long[]) session.run(Map.of("features", OnnxTensor.createTensor(env, pixels))).get("class").get().getValue();
        return digit;
    }
}
