package sparkprop.tables;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.core.BadInputException;
import sparkprop.core.InputScaling;
import sparkprop.data.Examples;
import sparkprop.shards.ShardBlock;
import sparkprop.storage.Location;

/** The tables package on its own: packing, shard order, the data survey's messages, file order and the seeded test split. */
class TablesTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static final StructType SCHEMA = new StructType().add("label", DataTypes.DoubleType).add("features", SQLDataTypes.VectorType());

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("tables-test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Dataset<Row> rows(double[][] features, double[] labels) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) rows.add(RowFactory.create(labels[i], features[i] == null ? null : Vectors.dense(features[i])));
        return spark.createDataFrame(rows, SCHEMA);
    }

    /** The rows back from the shards, in shard order. */
    static List<ShardBlock> blocks(TableShards shards) {
        List<ShardBlock> blocks = new ArrayList<>(shards.blocks().collect());
        blocks.sort(Comparator.comparingInt(ShardBlock::shard));
        return blocks;
    }

    @Test
    void wholeBytesArePixelsOthersFloatsAndTheShardsKeepTheRowOrder() {
        double[][] pixels = {{0, 255, 7}, {3, 4, 200}, {1, 0, 0}, {9, 9, 9}, {255, 255, 255}};
        double[] labels = {1, 0, 1, 0, 1};
        TableShards bytes = TableShards.of(rows(pixels, labels), "features", "label", 3, 2, 2, 2);
        assertEquals(InputScaling.UINT8, bytes.input());
        int next = 0;
        for (ShardBlock block : blocks(bytes)) {
            Examples e = block.examples();
            assertEquals(next, block.firstExample(), "shards hold consecutive rows");
            for (int i = 0; i < e.count(); i++, next++) {
                assertEquals((int) labels[next], e.label(i));
                for (int k = 0; k < 3; k++) assertEquals((int) pixels[next][k], e.pixels()[i * 3 + k] & 0xFF);
            }
        }
        assertEquals(5, next);

        double[][] binary = {{0, 1, 1}, {1, 0, 0}};
        assertEquals(InputScaling.FLOAT32, TableShards.of(rows(binary, new double[]{0, 1}), "features", "label", 3, 2, 1, 1).input(),
                "0/1 features are not pixels");
        double[][] fractions = {{0.5, -1, 2}, {3, 4, 5}};
        TableShards floats = TableShards.of(rows(fractions, new double[]{0, 1}), "features", "label", 3, 2, 1, 1);
        assertEquals(InputScaling.FLOAT32, floats.input());
        float[] x = new float[6];
        blocks(floats).get(0).examples().toInputs(0, 2, x, new int[2]);
        assertArrayEquals(new float[]{0.5f, -1, 2, 3, 4, 5}, x);
    }

    @Test
    void theSurveyNamesTheFirstBadRow() {
        double[][] ok = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
        String[][] cases = {
                {"2", "labelCol 'label': value 2.0 in row 2 is not a class index 0..1"},
                {"width", "has 3 values but layers[0] is 2"},
                {"nan", "holds NaN at position 0 (a missing or non-numeric value)"},
                {"1e39", "row 2 holds 1.0E39 at position 1 (beyond float32's range, +-3.4e38)"},
                {"null", "row 1 has no features (null)"}};
        for (String[] c : cases) {
            double[][] features = ok.clone();
            double[] labels = {0, 1, 0, 1};
            switch (c[0]) {
                case "2" -> labels[2] = 2;
                case "width" -> features[3] = new double[]{1, 2, 3};
                case "nan" -> features[1] = new double[]{Double.NaN, 1};
                case "1e39" -> features[2] = new double[]{1, 1e39};
                default -> features[1] = null;
            }
            BadInputException e = assertThrows(BadInputException.class, () -> TableShards.of(rows(features, labels), "features", "label", 2, 2, 1, 1), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        BadInputException classes = assertThrows(BadInputException.class, () -> TableShards.of(rows(ok, new double[]{0, 1, 0, 1}), "features",
                "label", 2, 300, 1, 1));
        assertTrue(classes.getMessage().contains("at most 256 classes"), classes.getMessage());
    }

    /** Rows are numbered in file order (files sorted by path), and the test split depends on each row's number and the seed only. */
    @Test
    void filesAreReadInOrderAndTheTestSplitIsSeeded() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("parts"));
        StringBuilder b = new StringBuilder(), a = new StringBuilder();
        for (int i = 0; i < 30; i++) a.append(i % 2).append(',').append(i).append(",0\n");
        for (int i = 30; i < 60; i++) b.append(i % 2).append(',').append(i).append(",0\n");
        Files.writeString(folder.resolve("part-b.csv"), b.toString());
        Files.writeString(folder.resolve("part-a.csv"), a.toString());
        TableReader.Table table = new TableReader.Table(Location.of(folder.toString(), new Configuration(), "--data"), TableFormat.CSV,
                TableReader.DEFAULT_FEATURES, "label");
        TableReader.Numbered numbered = TableReader.read(spark, table, 0, 0.25, 7);
        assertEquals(2, numbered.width());
        assertEquals(60, numbered.train() + numbered.test());
        List<scala.Tuple2<Row, Long>> all = numbered.rows().collect();
        long expectedTest = 0;
        for (long g = 0; g < 60; g++) if (TableReader.isTest(7, 0.25, g)) expectedTest++;
        assertEquals(expectedTest, numbered.test());
        for (scala.Tuple2<Row, Long> r : all) {
            long g = r._1().getLong(2);
            // part-a's rows come first: row g holds the value g in its first feature.
            assertEquals((double) g, ((org.apache.spark.ml.linalg.Vector) r._1().get(1)).apply(0), 0.0);
            assertEquals(TableReader.isTest(7, 0.25, g), r._2() < 0, "row " + g);
        }
        assertTrue(expectedTest > 5 && expectedTest < 25, expectedTest + " of 60 set aside for 0.25");
    }

    /**
     * CSV is read as lines and parsed here: every file's header line is dropped (in the split
     * that starts the file, however small the splits), CRLF endings, blank lines, quoted and empty
     * cells, and the byte-order mark are handled, and the rows keep file order across splits.
     */
    @Test
    void csvLinesAreParsedLikeSparksCsvAcrossSmallSplits() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("csv-splits"));
        for (String part : new String[]{"part-0.csv", "part-1.csv"}) {
            int first = part.equals("part-0.csv") ? 0 : 40;
            StringBuilder text = new StringBuilder(first == 0 ? "\uFEFFlabel,x,y\r\n" : "label,x,y\r\n");
            for (int g = first; g < first + 40; g++) {
                if (g % 9 == 0) text.append("\r\n"); // a blank line is no row
                String y = g % 7 == 0 ? "" : g % 5 == 0 ? " \"0.5\" " : "0.25";
                text.append(g % 3).append(',').append(g).append(',').append(y).append("\r\n");
            }
            Files.writeString(folder.resolve(part), text.toString());
        }
        spark.conf().set("spark.sql.files.maxPartitionBytes", "64"); // dozens of splits per file
        try {
            TableReader.Table table = new TableReader.Table(Location.of(folder.toString(), new Configuration(), "--data"), TableFormat.CSV,
                    TableReader.DEFAULT_FEATURES, "label");
            TableReader.Numbered numbered = TableReader.read(spark, table, 0, 0, 1);
            assertEquals(2, numbered.width());
            assertEquals(80, numbered.train());
            List<scala.Tuple2<Row, Long>> all = new ArrayList<>(numbered.rows().collect());
            assertTrue(numbered.rows().getNumPartitions() > 4, "split small: " + numbered.rows().getNumPartitions());
            all.sort(Comparator.comparingLong(r -> r._2()));
            for (int g = 0; g < 80; g++) {
                Row r = all.get(g)._1();
                assertEquals(g, r.getLong(2));
                assertTrue(r.isNullAt(3), r.toString());
                assertEquals(g % 3, r.getDouble(0), 0.0, "label of row " + g);
                double[] v = ((org.apache.spark.ml.linalg.Vector) r.get(1)).toArray();
                assertEquals(g, v[0], 0.0);
                if (g % 7 == 0) assertTrue(Double.isNaN(v[1]), "an empty cell is a missing value: " + r);
                else assertEquals(g % 5 == 0 ? 0.5 : 0.25, v[1], 0.0, "row " + g);
            }
        } finally {
            spark.conf().unset("spark.sql.files.maxPartitionBytes");
        }
    }

    @Test
    void aCsvLineThatDoesNotFitIsARowWithItsProblem() {
        Row wide = TableReader.csvRow("1,2,3,4", 3, "file:/data/t.csv", 7);
        assertEquals("/data/t.csv: row 7 (from 0, in file order) has 4 columns but the first line has 3: '1,2,3,4'", wide.getString(3));
        Row word = TableReader.csvRow("1,two,3", 3, "file:/data/t.csv", 8);
        assertEquals("/data/t.csv: row 8 (from 0, in file order) holds a value that is not a number: '1,two,3'", word.getString(3));
        Row unlabelled = TableReader.csvRow(" ,2,3", 3, "file:/data/t.csv", 9);
        assertTrue(unlabelled.isNullAt(0) && unlabelled.isNullAt(3), unlabelled.toString());
    }

    @Test
    void csvCellsAreTheNumbersParseDoubleReads() {
        String[] cells = {"0", "255", "-0", "+7", "007", " 12 ", "\"3\"", "0.25", "-1.5e-3", "1E300", "123456789012345", "1234567890123456789",
                "-999999999999999", "NaN", "Infinity", "4d"};
        String line = "1," + String.join(",", cells);
        Row r = TableReader.csvRow(line, cells.length + 1, "t.csv", 0);
        assertTrue(r.isNullAt(3), r.toString());
        double[] v = ((org.apache.spark.ml.linalg.Vector) r.get(1)).toArray();
        for (int i = 0; i < cells.length; i++) {
            String cell = cells[i].trim().replace("\"", "");
            assertEquals(Double.doubleToRawLongBits(Double.parseDouble(cell)), Double.doubleToRawLongBits(v[i]), "cell '" + cells[i] + "'");
        }
        assertEquals(1.0, r.getDouble(0), 0.0);
        assertEquals("t.csv: row 0 (from 0, in file order) holds a value that is not a number: '1,2,-'",
                TableReader.csvRow("1,2,-", 3, "t.csv", 0).getString(3));
        assertEquals("t.csv: row 0 (from 0, in file order) has 4 columns but the first line has 3: '1,x,3,4'",
                TableReader.csvRow("1,x,3,4", 3, "t.csv", 0).getString(3), "the width is named before a bad cell");
    }
}
