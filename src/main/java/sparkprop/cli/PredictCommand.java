package sparkprop.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import sparkprop.core.BadInputException;
import sparkprop.core.Model;
import sparkprop.data.DataException;
import sparkprop.data.DigitPicture;
import sparkprop.eval.BatchPrediction;
import sparkprop.eval.DigitImages;
import sparkprop.storage.Location;
import sparkprop.tables.TableFormat;
import sparkprop.tables.TableReader;

/**
 * {@code predict}: the digit in each of a person's pictures (PNG, JPEG, ... of any size), made
 * into MNIST's format first. One line per picture: {@code <file> <digit> <probability>}.
 * Pictures that cannot be read get a message; the others still get answers, and the exit code
 * is then 2. With {@code --data PATH --out DIR} it is a Spark batch job instead, over a folder
 * of pictures or a table on any Hadoop path, writing Parquet or CSV ({@link BatchPrediction}).
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false, footer = SparkContexts.UI_HELP,
        description = "Predict the digit in pictures (files or folders of PNG/JPEG/GIF/BMP), MNIST-style preprocessing; "
                + "or, with --data and --out, score a folder of pictures or a table as a Spark batch job.")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A model.bin written by train (any Hadoop path).")
    String modelPath;
    @Option(names = "--json", description = "Print a JSON array (file, digit, probability, probabilities) instead of lines.")
    boolean json;
    @Option(names = "--data", paramLabel = "PATH", description = "Batch job: a folder of pictures, or a table (Parquet, ORC, CSV, LIBSVM), "
            + "on any Hadoop path.")
    String data;
    @Option(names = "--out", paramLabel = "DIR", description = "Batch job: the folder of output part files (id, [label,] prediction, "
            + "probability, p0..pK-1[, error]); refused if it exists, unless --overwrite.")
    String out;
    @Option(names = "--format", defaultValue = "parquet", paramLabel = "FORMAT", description = "Batch job: parquet (default) or csv (with a header).")
    String format;
    @Option(names = "--overwrite", description = "Batch job: replace an existing --out folder.")
    boolean overwrite;
    @Option(names = "--features-col", defaultValue = TableReader.DEFAULT_FEATURES, paramLabel = "NAME",
            description = "Batch job, Parquet or ORC table: the features column (default: features, or every numeric column but the label).")
    String featuresCol;
    @Option(names = "--label-col", defaultValue = "label", paramLabel = "NAME",
            description = "Batch job, Parquet or ORC table: a label column to carry into the output when there is one.")
    String labelCol;
    @Option(names = "--master", paramLabel = "URL", description = "Batch job: Spark master (default local[*]; spark-submit's own master wins when not given).")
    String master;
    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "Picture files, or folders of them.")
    List<Path> inputs;

    @Override
    public Integer call() throws Exception {
        if (data != null || out != null) return batch();
        if (inputs == null || inputs.isEmpty()) throw new BadInputException("give pictures (IMAGE...) or a batch job's --data PATH --out DIR");
        Model model = Inputs.model(modelPath, sparkprop.storage.Location.configuration());
        int side = DigitImages.side(model.spec().inputSize());
        List<Path> files = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path input : inputs) {
            if (Files.isDirectory(input)) {
                try (Stream<Path> listing = Files.list(input)) {
                    listing.filter(p -> BatchPrediction.isPicture(p.getFileName().toString()))
                            .sorted().forEach(files::add);
                }
            } else {
                files.add(input);
            }
        }
        List<Path> readable = new ArrayList<>();
        List<byte[]> digits = new ArrayList<>();
        for (Path file : files) {
            try {
                BufferedImage picture = null;
                if (Files.isRegularFile(file)) {
                    try (java.io.InputStream in = Files.newInputStream(file)) {
                        picture = DigitPicture.read(in, file.toString());
                    }
                }
                if (picture == null) {
                    problems.add(file + ": " + (Files.exists(file) ? "not a picture this reader knows (PNG, JPEG, GIF, BMP)" : "no such file"));
                    continue;
                }
                digits.add(DigitPicture.toDigit(picture, side, file.toString()));
                readable.add(file);
            } catch (DataException e) {
                problems.add(e.getMessage());
            } catch (java.io.IOException | RuntimeException e) {
                problems.add(file + ": cannot be read as a picture (" + e.getMessage() + ")");
            }
        }

        int n = readable.size(), k = model.spec().outputSize();
        List<Map<String, Object>> answers = new ArrayList<>();
        if (n > 0) {
            float[] p = model.predict(model.inputs(digits), n);
            for (int j = 0; j < n; j++) {
                int best = 0;
                for (int c = 1; c < k; c++) if (p[j * k + c] > p[j * k + best]) best = c;
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("file", readable.get(j).toString());
                a.put("digit", best);
                a.put("probability", p[j * k + best]);
                a.put("probabilities", java.util.Arrays.copyOfRange(p, j * k, (j + 1) * k));
                answers.add(a);
                if (!json) System.out.printf(Locale.ROOT, "%s %d %.4f%n", readable.get(j), best, p[j * k + best]);
            }
        }
        if (json) System.out.println(new ObjectMapper().writeValueAsString(answers));
        for (String problem : problems) System.err.println("error: " + problem);
        if (files.isEmpty()) System.err.println("error: no pictures found in " + inputs);
        return problems.isEmpty() && !files.isEmpty() ? 0 : Main.BAD_INPUT;
    }

    /** predict --data --out: the Spark batch job. */
    private int batch() throws Exception {
        if (data == null || out == null) throw new BadInputException("a batch prediction needs both --data PATH and --out DIR");
        if (inputs != null && !inputs.isEmpty()) throw new BadInputException("give pictures (IMAGE...) or --data, not both");
        if (!format.equals("parquet") && !format.equals("csv")) throw new BadInputException("--format " + format + ": expected parquet or csv");
        Configuration hadoop = Location.configuration();
        Model model = Inputs.model(modelPath, hadoop);
        Location where = Location.of(data, hadoop, "--data");
        if (!where.exists()) throw new BadInputException("--data " + where + ": no such file or folder");
        TableFormat table = TableFormat.of(where);
        if (table == null && !where.isDirectory()) {
            throw new BadInputException("--data " + where + ": neither a folder of pictures nor a table (.parquet, .orc, .csv, .libsvm)");
        }
        if (table == null) DigitImages.side(model.spec().inputSize()); // a model of square pictures, or one clear line
        OutputFolder output = OutputFolder.claim(Location.of(out, hadoop, "--out"), overwrite,
                OutputFolder.inputs(where, Location.of(modelPath, hadoop, "--model")));
        MasterCheck.reachable(master != null ? master : System.getProperty("spark.master"));
        try {
            int code = batch(model, where, table, output);
            output.commit();
            return code;
        } finally {
            output.abandon();
        }
    }

    private int batch(Model model, Location where, TableFormat table, OutputFolder output) throws Exception {
        Location outDir = output.staging;
        try (JavaSparkContext sc = SparkContexts.start("sparkprop predict", master, "local[*]")) {
            sc.setJobDescription("sparkprop predict: scoring " + data + " with " + modelPath);
            long start = System.nanoTime();
            SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
            Dataset<Row> scored = table == null ? BatchPrediction.pictures(spark, where.toString(), model)
                    : BatchPrediction.table(spark, new TableReader.Table(where, table, featuresCol, labelCol, false), model);
            scored = scored.cache();
            long rows = scored.count();
            long failed = table == null ? scored.where(functions.col("error").isNotNull()).count() : 0;
            DataFrameWriter<Row> writer = scored.write().mode(SaveMode.ErrorIfExists);
            if (format.equals("csv")) writer.option("header", true).csv(outDir.toString());
            else writer.parquet(outDir.toString());
            System.out.printf("predicted %d %s of %s with %s (%s) in %.1f s%n", rows - failed, table == null ? "pictures" : "rows", where, modelPath,
                    model.spec(), (System.nanoTime() - start) / 1e9);
            System.out.println("predictions: " + output.target + " (" + format + ")");
            if (failed > 0) {
                for (Row r : scored.where(functions.col("error").isNotNull()).select("id", "error").limit(5).collectAsList()) {
                    System.err.println("error: " + r.getString(0) + ": " + r.getString(1));
                }
                System.err.println("error: " + failed + " of " + rows + " files could not be read as pictures (their rows hold the error)");
                return Main.BAD_INPUT;
            }
        }
        return 0;
    }
}
