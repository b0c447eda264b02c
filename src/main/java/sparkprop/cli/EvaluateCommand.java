package sparkprop.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.data.Dataset;
import sparkprop.data.ExampleSource;
import sparkprop.core.ConfusionMatrix;
import sparkprop.eval.Evaluation;
import sparkprop.eval.EvaluationReport;
import sparkprop.eval.DigitImages;
import sparkprop.eval.ReportPage;
import sparkprop.storage.Location;
import sparkprop.tables.TableData;
import sparkprop.tables.TableFormat;
import sparkprop.tables.TableReader;
import sparkprop.tables.TableShards;

/**
 * {@code evaluate}: a Spark batch job that scores a saved model on a dataset, prints the table
 * and, with {@code --out}, writes metrics.json (and with {@code --predictions} CSV part files)
 * there, on any Hadoop filesystem.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false, footer = SparkContexts.UI_HELP,
        description = "Evaluate a saved model on a dataset as a Spark batch job.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A model.bin written by train (any Hadoop path).")
    String modelPath;
    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Dataset in any format train reads (any Hadoop path).")
    String data;
    @Option(names = "--split", defaultValue = "test", description = "For files: test (default) or train. A table is scored whole, or its "
            + "--test-fraction.")
    String split;
    @Option(names = "--features-col", defaultValue = TableReader.DEFAULT_FEATURES, paramLabel = "NAME",
            description = "For a Parquet or ORC table: the features column (default: features, or every numeric column but the label).")
    String featuresCol;
    @Option(names = "--label-col", defaultValue = "label", paramLabel = "NAME", description = "For a Parquet or ORC table: the label column.")
    String labelCol;
    @Option(names = "--test-fraction", defaultValue = "0", paramLabel = "F",
            description = "For a table: score only the rows a training run with this --test-fraction and --seed set aside.")
    double testFraction;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "With --test-fraction: the training run's seed.")
    long seed;
    @Option(names = "--out", paramLabel = "DIR", description = "Folder for metrics.json (and predictions/); refused if it exists, unless --overwrite.")
    String out;
    @Option(names = "--predictions", description = "Also write one CSV line per example: index,label,predicted,p0..pK-1 (needs --out).")
    boolean predictions;
    @Option(names = "--overwrite", description = "Replace an existing --out folder.")
    boolean overwrite;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default local[*]; spark-submit's own master wins when not given).")
    String master;

    @Override
    public Integer call() throws Exception {
        Configuration hadoop = Location.configuration();
        if (!split.equals("test") && !split.equals("train")) throw new sparkprop.core.BadInputException("--split " + split + ": expected test or train");
        if (predictions && out == null) throw new sparkprop.core.BadInputException("--predictions needs --out DIR to write them to");
        if (!(testFraction >= 0 && testFraction < 1)) throw new sparkprop.core.BadInputException("--test-fraction " + testFraction + ": expected a fraction in [0, 1)");
        Model model = Inputs.model(modelPath, hadoop);
        Location where = Location.of(data, hadoop, "--data");
        TableFormat format = where.exists() ? TableFormat.of(where) : null;
        ExampleSource source = null;
        if (format == null) {
            if (testFraction > 0) throw new sparkprop.core.BadInputException("--test-fraction is for tables; " + where + " has its own test split");
            Dataset dataset = Inputs.data(data, hadoop);
            source = split.equals("test") ? dataset.test() : dataset.train();
            Evaluation.check(model, source);
        }
        MasterCheck.reachable(master != null ? master : System.getProperty("spark.master"));
        OutputFolder output = out == null ? null
                : OutputFolder.claim(Location.of(out, hadoop, "--out"), overwrite, OutputFolder.inputs(where, Location.of(modelPath, hadoop, "--model")));
        try {
            evaluate(model, where, format, source, output);
            if (output != null) output.commit();
        } finally {
            if (output != null) output.abandon();
        }
        if (output != null) {
            System.out.println("\nmetrics: " + output.target.child("metrics.json"));
            System.out.println("report:  " + output.target.child("report.html"));
            if (predictions) System.out.println("predictions: " + output.target.child("predictions"));
        }
        return 0;
    }

    private void evaluate(Model model, Location where, TableFormat format, ExampleSource source, OutputFolder output) throws Exception {
        Location outDir = output == null ? null : output.staging;
        try (JavaSparkContext sc = SparkContexts.start("sparkprop evaluate", master, "local[*]")) {
            sc.setJobDescription("sparkprop evaluate: scoring " + data + " with " + modelPath);
            long start = System.nanoTime();
            Evaluation evaluation;
            String part;
            if (source != null) {
                evaluation = new Evaluation(sc, model, source);
                part = split + " split";
            } else {
                TableReader.Table table = new TableReader.Table(where, format, featuresCol, labelCol);
                TableShards rows = TableData.forModel(SparkSession.builder().sparkContext(sc.sc()).getOrCreate(), table, testFraction, seed,
                        model.spec().inputSize(), model.spec().outputSize(), model.input());
                evaluation = new Evaluation(sc, model, rows.blocks());
                part = testFraction > 0 ? "test fraction " + testFraction + " (seed " + seed + ")" : "all rows";
            }
            ConfusionMatrix matrix = evaluation.confusion();
            System.out.printf("model %s (%s) on %s, %s: %d examples in %.1f s%n%n", modelPath, model.spec(), data, part,
                    matrix.total(), (System.nanoTime() - start) / 1e9);
            System.out.print(EvaluationReport.table(matrix));
            if (outDir != null) {
                Map<String, Object> metrics = new java.util.LinkedHashMap<>();
                metrics.put("model", modelPath);
                metrics.put("model_sha256", ModelFile.sha256Hex(ModelFile.encode(model)));
                metrics.put("data", data);
                metrics.put("split", source != null ? split : testFraction > 0 ? "test-fraction " + testFraction + " seed " + seed : "all");
                metrics.putAll(EvaluationReport.json(matrix));
                if (predictions) {
                    evaluation.savePredictionLines(outDir.child("predictions").toString());
                    metrics.put("predictions", "predictions/part-*: index,label,predicted," + probabilityColumns(model));
                }
                outDir.child("metrics.json").write(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(metrics));
                Map<String, String> facts = new java.util.LinkedHashMap<>();
                facts.put("accuracy", String.format("%.2f%% (%d of %d)", 100 * matrix.accuracy(), matrix.correct(), matrix.total()));
                facts.put("mean loss", String.format("%.4f", matrix.meanLoss()));
                facts.put("model", modelPath + " (" + model.spec() + ", sha256 " + metrics.get("model_sha256") + ")");
                facts.put("data", data + " (" + part + ")");
                String html = ReportPage.html("sparkprop evaluation", facts, Map.of(), null, matrix, evaluation.worst(24),
                        DigitImages.sideOrZero(model.spec().inputSize()));
                outDir.child("report.html").write(html.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }

    private static String probabilityColumns(Model model) {
        StringBuilder s = new StringBuilder();
        for (int c = 0; c < model.spec().outputSize(); c++) s.append(c == 0 ? "" : ",").append("p").append(c);
        return s.toString();
    }
}
