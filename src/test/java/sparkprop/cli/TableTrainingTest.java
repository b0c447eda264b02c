package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.core.Model;
import sparkprop.data.Dataset;
import sparkprop.data.Examples;
import sparkprop.data.Fixtures;

/** Tables (CSV, LIBSVM, Parquet) as --data: the same bits as the same examples in IDX files, float tables, clear errors. */
class TableTrainingTest {
    @TempDir
    static Path dir;
    static Path idx;
    static Examples train;
    static Examples test;
    static byte[] idxModel;

    /** The settings every run here shares besides --data and --out. */
    static final String[] SETTINGS = {"--layers", "64,24,10", "--epochs", "2", "--batch-size", "40", "--shards", "3", "--seed", "4",
            "--master", "local[2]"};

    @BeforeAll
    static void idxRun() throws Exception {
        idx = Fixtures.syntheticMnist(dir.resolve("mnist"), 1200, 300, 8, false, 3);
        Dataset files = Dataset.open(idx.toString(), new Configuration());
        train = files.train().read(new Configuration(), 0, files.train().count());
        test = files.test().read(new Configuration(), 0, files.test().count());
        idxModel = Files.readAllBytes(train(idx.toString(), "idx").resolve("model.bin"));
    }

    static Path train(String data, String name, String... more) {
        Path out = dir.resolve("runs").resolve(name);
        List<String> args = new ArrayList<>(List.of("train", "--data", data));
        args.addAll(List.of(SETTINGS));
        args.addAll(List.of(more));
        args.addAll(List.of("--out", out.toString()));
        CliRun run = CliRun.of(args.toArray(new String[0]));
        assertEquals(0, run.exitCode(), run.err());
        return out;
    }

    static String csv(Examples e, int first, int n, boolean header) {
        StringBuilder s = new StringBuilder();
        if (header) {
            s.append("label");
            for (int i = 0; i < e.width(); i++) s.append(",p").append(i);
            s.append('\n');
        }
        for (int j = first; j < first + n; j++) {
            s.append(e.label(j));
            for (int i = 0; i < e.width(); i++) s.append(',').append(e.pixels()[j * e.width() + i] & 0xFF);
            s.append('\n');
        }
        return s.toString();
    }

    static String libsvm(Examples e, int first, int n) {
        StringBuilder s = new StringBuilder();
        for (int j = first; j < first + n; j++) {
            s.append(e.label(j));
            for (int i = 0; i < e.width(); i++) {
                int v = e.pixels()[j * e.width() + i] & 0xFF;
                if (v != 0) s.append(' ').append(i + 1).append(':').append(v);
            }
            s.append('\n');
        }
        return s.toString();
    }

    @Test
    void csvWithAHeaderAndATestFileTrainsToTheIdxBits() throws Exception {
        Files.writeString(dir.resolve("train.csv"), csv(train, 0, train.count(), true));
        Files.writeString(dir.resolve("test.csv"), csv(test, 0, test.count(), false));
        Path run = train(dir.resolve("train.csv").toString(), "csv", "--test-data", dir.resolve("test.csv").toString());
        assertArrayEquals(idxModel, Files.readAllBytes(run.resolve("model.bin")));
        JsonNode idxSummary = summary(dir.resolve("runs/idx")), csvSummary = summary(run);
        assertEquals(idxSummary.get("test_accuracy").asDouble(), csvSummary.get("test_accuracy").asDouble(), 0);
    }

    /**
     * Spark reads the bigger file first; the rows must still be numbered in file-name order, or
     * the shards would hold other examples and the bits would differ.
     */
    @Test
    void aLibsvmFolderOfFilesOfUnequalSizeTrainsToTheIdxBits() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("train-libsvm"));
        Files.writeString(folder.resolve("part-00000.libsvm"), libsvm(train, 0, 100));
        Files.writeString(folder.resolve("part-00001.libsvm"), libsvm(train, 100, train.count() - 100));
        Files.writeString(folder.resolve("_SUCCESS"), "");
        Files.writeString(dir.resolve("test.libsvm"), libsvm(test, 0, test.count()));
        Path run = train(folder.toString(), "libsvm", "--test-data", dir.resolve("test.libsvm").toString());
        assertArrayEquals(idxModel, Files.readAllBytes(run.resolve("model.bin")));
    }

    /** Parquet written by Spark itself, several part files, features as an ml Vector column. */
    @Test
    void aParquetTableWrittenBySparkTrainsToTheIdxBits() throws Exception {
        Path table = dir.resolve("train-parquet"), testTable = dir.resolve("test-parquet");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("sparkprop-table-test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        try {
            StructType schema = new StructType(new StructField[]{DataTypes.createStructField("digit", DataTypes.IntegerType, false),
                    DataTypes.createStructField("pixels", SQLDataTypes.VectorType(), false)});
            // Three slices of a local list: three part files in example order.
            spark.createDataFrame(rows(train), schema).coalesce(3).write().parquet(table.toString());
            spark.createDataFrame(rows(test), schema).write().parquet(testTable.toString());
        } finally {
            spark.stop();
        }
        assertTrue(Files.list(table).filter(p -> p.toString().endsWith(".parquet")).count() > 1, "several part files");
        Path run = train(table.toString(), "parquet", "--test-data", testTable.toString(), "--features-col", "pixels", "--label-col", "digit");
        assertArrayEquals(idxModel, Files.readAllBytes(run.resolve("model.bin")));
    }

    static List<Row> rows(Examples e) {
        List<Row> rows = new ArrayList<>();
        for (int j = 0; j < e.count(); j++) {
            double[] v = new double[e.width()];
            for (int i = 0; i < v.length; i++) v[i] = e.pixels()[j * e.width() + i] & 0xFF;
            rows.add(RowFactory.create(e.label(j), Vectors.dense(v)));
        }
        return rows;
    }

    /**
     * Not pixels: three classes of points around three centres in 5 dimensions, negative and
     * fractional values, as numeric Parquet columns. Trains on float32 inputs as they are, and
     * evaluate scores the same held-out rows to the same accuracy.
     */
    @Test
    void aFloatTableWithATestFractionTrainsAndEvaluates() throws Exception {
        SplittableRandom random = new SplittableRandom(11);
        double[][] centres = {{-2, 0, 1, 0.5, 0}, {2, -1, 0, 0, 1.5}, {0, 2, -1.5, 1, -1}};
        StringBuilder csv = new StringBuilder("y,a,b,c,d,e\n");
        for (int r = 0; r < 900; r++) {
            int y = random.nextInt(3);
            csv.append(y);
            for (double c : centres[y]) csv.append(',').append(String.format(java.util.Locale.ROOT, "%.4f", c + random.nextGaussian() * 0.8));
            csv.append('\n');
        }
        Path points = dir.resolve("points.csv");
        Files.writeString(points, csv.toString());
        Path run = dir.resolve("runs/points");
        CliRun trained = CliRun.of("train", "--data", points.toString(), "--test-fraction", "0.2", "--layers", "5,16,3", "--epochs", "10",
                "--batch-size", "30", "--learning-rate", "0.05", "--seed", "7", "--master", "local[2]", "--out", run.toString());
        assertEquals(0, trained.exitCode(), trained.err());
        JsonNode s = summary(run);
        assertTrue(s.get("test_accuracy").asDouble() > 0.85, s.toString());
        Model model = Model.load(run.resolve("model.bin"));
        assertEquals(sparkprop.core.InputScaling.FLOAT32, model.input());
        // Through NumPy's format and back, the model still takes its values as they are: the same file.
        Path npz = dir.resolve("points.npz"), back = dir.resolve("points-back.bin");
        assertEquals(0, CliRun.of("export-model", "--model", run.resolve("model.bin").toString(), "--out", npz.toString()).exitCode());
        assertEquals(0, CliRun.of("export-model", "--from-npz", npz.toString(), "--out", back.toString()).exitCode());
        assertArrayEquals(Files.readAllBytes(run.resolve("model.bin")), Files.readAllBytes(back));
        // About a fifth of the 900 rows were set aside.
        assertTrue(trained.out().matches("(?s).*training .* on .*: 7\\d\\d train / 1\\d\\d test examples.*"), trained.out());

        Path eval = dir.resolve("eval-points");
        CliRun evaluated = CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", points.toString(),
                "--test-fraction", "0.2", "--seed", "7", "--master", "local[2]", "--out", eval.toString());
        assertEquals(0, evaluated.exitCode(), evaluated.err());
        JsonNode m = new ObjectMapper().readTree(eval.resolve("metrics.json").toFile());
        assertEquals(s.get("test_accuracy").asDouble(), m.get("accuracy").asDouble(), 1e-12);
        assertFalse(Files.readString(eval.resolve("report.html")).contains("<img"), "no pictures of feature rows");

        // Feature rows are not pictures: --augment is refused by name, and no run folder is left.
        CliRun distorted = CliRun.of("train", "--data", points.toString(), "--test-fraction", "0.2", "--layers", "5,16,3", "--augment", "shift=1",
                "--master", "local[2]", "--out", dir.resolve("runs/points-augmented").toString());
        assertEquals(2, distorted.exitCode(), distorted.err());
        assertTrue(distorted.errorLines().contains("--augment shift=1: needs square images, and the data's 5 values per example are not a square"),
                distorted.err());
        assertFalse(Files.exists(dir.resolve("runs/points-augmented")));
    }

    @Test
    void badTablesAreRefusedNamingTheFileAndRow() throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, csv(train, 0, 50, false) + "12" + ",0".repeat(64) + "\n" + csv(train, 50, 50, false));
        CliRun run = CliRun.of("train", "--data", bad.toString(), "--test-fraction", "0.2", "--layers", "64,24,10", "--batch-size", "10",
                "--master", "local[2]", "--out", dir.resolve("runs/bad").toString());
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.errorLines().contains(bad + " (label: the first column): value 12.0 in row 50 (from 0, in file order)"), run.err());
        assertFalse(Files.exists(dir.resolve("runs/bad")), "nothing is left of a run that never started");

        CliRun noTest = CliRun.of("train", "--data", dir.resolve("train.csv").toString(), "--master", "local[2]", "--out",
                dir.resolve("runs/no-test").toString());
        assertEquals(2, noTest.exitCode(), noTest.err());
        assertTrue(noTest.errorLines().contains("give its test set with --test-data PATH or --test-fraction F"), noTest.err());

        Path ragged = dir.resolve("ragged.csv");
        Files.writeString(ragged, csv(train, 0, 30, false) + "3,1,2\n");
        CliRun short_ = CliRun.of("train", "--data", ragged.toString(), "--test-fraction", "0.3", "--batch-size", "10", "--master", "local[2]",
                "--out", dir.resolve("runs/ragged").toString());
        assertEquals(2, short_.exitCode(), short_.err());
        assertTrue(short_.errorLines().contains(ragged + ": row 30 (from 0, in file order) has 3 columns but the first line has 65"), short_.err());

        // A longer line was cut to the first line's width and trained on.
        Path wide = dir.resolve("wide.csv");
        Files.writeString(wide, csv(train, 0, 30, false) + "3" + ",7".repeat(70) + "\n" + csv(train, 30, 10, false));
        CliRun long_ = CliRun.of("train", "--data", wide.toString(), "--test-fraction", "0.3", "--batch-size", "10", "--master", "local[2]",
                "--out", dir.resolve("runs/wide").toString());
        assertEquals(2, long_.exitCode(), long_.err());
        assertTrue(long_.errorLines().contains(wide + ": row 30 (from 0, in file order) has 71 columns but the first line has 65"), long_.err());

        Path header = dir.resolve("header-only.csv");
        Files.writeString(header, "label,a,b,c\n");
        CliRun empty = CliRun.of("train", "--data", header.toString(), "--test-fraction", "0.3", "--master", "local[2]",
                "--out", dir.resolve("runs/header-only").toString());
        assertEquals(2, empty.exitCode(), empty.err());
        assertTrue(empty.errorLines().contains(header + ": the table has no rows (a header line at most)"), empty.err());

        Path zero = dir.resolve("zero.libsvm");
        Files.writeString(zero, "1 0:3 2:4\n0 1:1\n");
        for (String layers : new String[]{null, "3,4,2"}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--data", zero.toString(), "--test-fraction", "0.5",
                    "--master", "local[2]", "--out", dir.resolve("runs/zero").toString()));
            if (layers != null) args.addAll(java.util.List.of("--layers", layers));
            CliRun libsvm = CliRun.of(args.toArray(new String[0]));
            assertEquals(2, libsvm.exitCode(), libsvm.err());
            assertTrue(libsvm.errorLines().contains(zero + ": not a LIBSVM file Spark can read (requirement failed: indices should be one-based"),
                    libsvm.err());
        }
    }

    @Test
    void aByteOrderMarkIsNotAHeader() throws Exception {
        Path bom = dir.resolve("bom.csv");
        Files.write(bom, ("\uFEFF" + csv(train, 0, 40, false)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        CliRun run = CliRun.of("train", "--data", bom.toString(), "--test-data", bom.toString(), "--layers", "64,8,10", "--epochs", "1",
                "--batch-size", "10", "--master", "local[2]", "--out", dir.resolve("runs/bom").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains(": 40 train / 40 test examples"), run.out());
    }

    static JsonNode summary(Path run) throws IOException {
        return new ObjectMapper().readTree(run.resolve("summary.json").toFile());
    }
}
