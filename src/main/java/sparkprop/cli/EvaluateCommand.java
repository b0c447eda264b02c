package sparkprop.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.core.ModelFileException;
import sparkprop.data.Dataset;
import sparkprop.data.ExampleSource;
import sparkprop.eval.ConfusionMatrix;
import sparkprop.eval.Evaluation;
import sparkprop.eval.EvaluationReport;
import sparkprop.eval.DigitImages;
import sparkprop.eval.ReportPage;

/**
 * {@code evaluate}: a Spark batch job that scores a saved model on a dataset, prints the table
 * and, with {@code --out}, writes metrics.json (and with {@code --predictions} CSV part files)
 * there, on any Hadoop filesystem.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a saved model on a dataset as a Spark batch job.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A model.bin written by train (any Hadoop path).")
    String modelPath;
    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Dataset in any format train reads (any Hadoop path).")
    String data;
    @Option(names = "--split", defaultValue = "test", description = "test (default) or train.")
    String split;
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
        Configuration hadoop = new Configuration();
        if (!split.equals("test") && !split.equals("train")) throw new sparkprop.core.BadInputException("--split " + split + ": expected test or train");
        if (predictions && out == null) throw new sparkprop.core.BadInputException("--predictions needs --out DIR to write them to");
        Model model = readModel(modelPath, hadoop);
        Dataset dataset = Dataset.open(data, hadoop);
        ExampleSource source = split.equals("test") ? dataset.test() : dataset.train();
        Evaluation.check(model, source);
        MasterCheck.reachable(master != null ? master : System.getProperty("spark.master"));
        org.apache.hadoop.fs.Path outDir = out == null ? null : new org.apache.hadoop.fs.Path(out);
        if (outDir != null) {
            FileSystem fs = outDir.getFileSystem(hadoop);
            if (fs.exists(outDir)) {
                if (!overwrite) throw new sparkprop.core.BadInputException("--out " + out + ": already exists (use --overwrite to replace it)");
                fs.delete(outDir, true);
            }
        }

        try (JavaSparkContext sc = SparkContexts.start("sparkprop evaluate", master, "local[*]")) {
            long start = System.nanoTime();
            Evaluation evaluation = new Evaluation(sc, model, source);
            ConfusionMatrix matrix = evaluation.confusion();
            System.out.printf("model %s (%s) on %s, %s split: %d examples in %.1f s%n%n", modelPath, model.spec(), data, split,
                    matrix.total(), (System.nanoTime() - start) / 1e9);
            System.out.print(EvaluationReport.table(matrix));
            if (outDir != null) {
                Map<String, Object> metrics = new java.util.LinkedHashMap<>();
                metrics.put("model", modelPath);
                metrics.put("model_sha256", ModelFile.sha256Hex(ModelFile.encode(model)));
                metrics.put("data", data);
                metrics.put("split", split);
                metrics.putAll(EvaluationReport.json(matrix));
                if (predictions) {
                    evaluation.savePredictionLines(new org.apache.hadoop.fs.Path(outDir, "predictions").toString());
                    metrics.put("predictions", "predictions/part-*: index,label,predicted," + probabilityColumns(model));
                }
                writeAtomically(outDir, "metrics.json",
                        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(metrics), hadoop);
                Map<String, String> facts = new java.util.LinkedHashMap<>();
                facts.put("accuracy", String.format("%.2f%% (%d of %d)", 100 * matrix.accuracy(), matrix.correct(), matrix.total()));
                facts.put("mean loss", String.format("%.4f", matrix.meanLoss()));
                facts.put("model", modelPath + " (" + model.spec() + ", sha256 " + metrics.get("model_sha256") + ")");
                facts.put("data", data + " (" + split + " split)");
                String html = ReportPage.html("sparkprop evaluation", facts, Map.of(), null, matrix, evaluation.worst(24),
                        DigitImages.side(source.width()));
                writeAtomically(outDir, "report.html", html.getBytes(java.nio.charset.StandardCharsets.UTF_8), hadoop);
                System.out.println("\nmetrics: " + new org.apache.hadoop.fs.Path(outDir, "metrics.json"));
                System.out.println("report:  " + new org.apache.hadoop.fs.Path(outDir, "report.html"));
                if (predictions) System.out.println("predictions: " + new org.apache.hadoop.fs.Path(outDir, "predictions"));
            }
        }
        return 0;
    }

    private static String probabilityColumns(Model model) {
        StringBuilder s = new StringBuilder();
        for (int c = 0; c < model.spec().outputSize(); c++) s.append(c == 0 ? "" : ",").append("p").append(c);
        return s.toString();
    }

    /** Reads a model file from any Hadoop path. */
    static Model readModel(String path, Configuration conf) throws java.io.IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) throw new ModelFileException(path + ": no such model file");
        if (fs.getFileStatus(p).isDirectory()) throw new ModelFileException(path + ": is a directory, expected a model file");
        try (InputStream in = fs.open(p)) {
            return ModelFile.decode(in.readAllBytes(), path);
        }
    }

    /** Temporary name in the same folder, then a rename: readers never see half a file. */
    static void writeAtomically(org.apache.hadoop.fs.Path dir, String name, byte[] bytes, Configuration conf) throws java.io.IOException {
        FileSystem fs = dir.getFileSystem(conf);
        fs.mkdirs(dir);
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, "." + name + ".tmp"), target = new org.apache.hadoop.fs.Path(dir, name);
        try (OutputStream o = fs.create(tmp, true)) {
            o.write(bytes);
        }
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) throw new java.io.IOException("cannot rename " + tmp + " to " + target);
    }
}
