package sparkprop.tables;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import sparkprop.core.BadInputException;
import sparkprop.core.Seeds;
import sparkprop.storage.Location;

/**
 * A table on any Hadoop path, read with Spark SQL's source for its format, as rows of (label,
 * features as an ml Vector) numbered in <em>file order</em>: files sorted by path, rows in their
 * order within each file, as {@code cat part-*} would list them. Spark packs files into partitions
 * by size, so its own row order changes with the files' sizes; numbering by file makes a table
 * hold examples 0..N-1 in the order they were written, and so train to the same bits as the same
 * examples in IDX files. A seeded fraction of the rows may be set aside as a test set.
 *
 * <p>Columns: CSV is the label then one column per feature (a header line is optional);
 * LIBSVM is Spark's {@code label}/{@code features}; Parquet and ORC have a label column and
 * a features column holding an ml Vector or an array of numbers, or, when the features column
 * named is absent, every other numeric column in schema order.
 */
public final class TableReader {
    /** The features column that, when absent, means "every numeric column but the label". */
    public static final String DEFAULT_FEATURES = "features";
    private static final String FILE = "_sparkprop_file", BLOCK = "_sparkprop_block";
    /** A path component for {@link Seeds}, so the test split's draws are independent of every other use of the seed. */
    private static final long TEST_SPLIT = 0x7e57L;

    private TableReader() {
    }

    /**
     * A table as {@code --data} (or {@code --test-data}) names it.
     *
     * @param featuresCol    the features column (Parquet, ORC)
     * @param labelRequired  false to score a Parquet or ORC table without labels (every label is then null)
     */
    public record Table(Location where, TableFormat format, String featuresCol, String labelCol, boolean labelRequired) implements Serializable {
        /** A table to train or evaluate on, which must have labels. */
        public Table(Location where, TableFormat format, String featuresCol, String labelCol) {
            this(where, format, featuresCol, labelCol, true);
        }

        /** False for the default features column, whose absence means "every numeric column but the label". */
        boolean featuresGiven() {
            return !featuresCol.equals(DEFAULT_FEATURES);
        }

        /** What messages call the columns, naming the table. */
        TableShards.Naming naming() {
            return switch (format) {
                case CSV -> new TableShards.Naming(where + " (features: every column after the first)", where + " (label: the first column)");
                case LIBSVM -> new TableShards.Naming(where + " (features)", where + " (label)");
                default -> new TableShards.Naming(where + " column '" + featuresCol + "'", where + " column '" + labelCol + "'");
            };
        }
    }

    /**
     * Rows (label, features, place in file order), each with a training index 0..N-1 when {@code
     * index >= 0}, else the test index {@code -index-1}.
     */
    public record Numbered(JavaPairRDD<Row, Long> rows, long train, long test, int width) {
        public JavaPairRDD<Row, Long> trainRows() {
            return rows.filter(r -> r._2() >= 0);
        }

        public JavaPairRDD<Row, Long> testRows() {
            return rows.filter(r -> r._2() < 0).mapToPair(r -> new Tuple2<>(r._1(), -r._2() - 1));
        }
    }

    /** Where one split of one file starts in file order, and how many rows before it went to training and to test. */
    private record Start(long first, long trainFirst, long testFirst) implements Serializable {
    }

    /** Every split's start (by file path and split start) and the table's row and test-row counts. */
    private record Placement(Map<String, Start> starts, long rows, long test) {
    }

    /** How the features arrive in the rows read: one Vector column, one array column, numeric columns, or a CSV line to parse. */
    private enum Shape { VECTOR, ARRAY, COLUMNS, CSV_LINE }

    /**
     * Reads and numbers a table; nothing is cached, so persist {@link Numbered#rows} before using it twice.
     *
     * @param width        features per row when known (LIBSVM's numFeatures); 0 to take it from the data
     * @param testFraction share of rows set aside as a test set, chosen by {@code seed} from each row's number (0: none)
     */
    public static Numbered read(SparkSession spark, Table table, int width, double testFraction, long seed) throws IOException {
        DataFrameReader reader = spark.read().format(table.format().source);
        Dataset<Row> frame;
        List<Column> features = new ArrayList<>();
        Column label;
        Shape shape;
        CsvShape csv = null;
        String path = table.where().toString();
        switch (table.format()) {
            case CSV -> {
                // Lines, parsed by us: Spark's CSV source turns a 785-column table into rows whose generated code alone took
                // 15 s to compile and run the first time (MNIST as CSV, docs/PERF-NOTES.md), four times the whole parse here.
                csv = csvShape(table.where());
                frame = spark.read().format("text").load(path);
                frame = frame.where(functions.trim(frame.col("value")).notEqual(""));
                label = frame.col("value");
                shape = Shape.CSV_LINE;
            }
            case LIBSVM -> {
                if (width > 0) reader = reader.option("numFeatures", width);
                frame = loadLibsvm(reader, path);
                label = frame.col("label");
                features.add(frame.col("features"));
                shape = Shape.VECTOR;
            }
            default -> {
                frame = reader.load(path);
                StructType schema = frame.schema();
                List<String> names = List.of(schema.fieldNames());
                boolean labelled = names.contains(table.labelCol());
                if (!labelled && table.labelRequired()) {
                    throw new BadInputException(path + ": no label column '" + table.labelCol() + "' (columns: " + names + "; choose one with --label-col)");
                }
                if (labelled && !(schema.apply(table.labelCol()).dataType() instanceof NumericType)) {
                    throw new BadInputException(path + " column '" + table.labelCol() + "': expected class indices 0..K-1 as numbers, got "
                            + schema.apply(table.labelCol()).dataType().simpleString());
                }
                label = labelled ? frame.col(table.labelCol()) : functions.lit(null).cast(DataTypes.DoubleType);
                if (names.contains(table.featuresCol())) {
                    DataType type = schema.apply(table.featuresCol()).dataType();
                    if (type instanceof VectorUDT) {
                        shape = Shape.VECTOR;
                    } else if (type instanceof ArrayType array && array.elementType() instanceof NumericType) {
                        shape = Shape.ARRAY;
                    } else {
                        throw new BadInputException(path + " column '" + table.featuresCol() + "': expected an ml Vector or an array of numbers, got "
                                + type.simpleString());
                    }
                    features.add(frame.col(table.featuresCol()));
                } else if (table.featuresGiven()) {
                    throw new BadInputException(path + ": no features column '" + table.featuresCol() + "' (columns: " + names + ")");
                } else {
                    for (StructField f : schema.fields()) {
                        if (f.name().equals(table.labelCol())) continue;
                        if (!(f.dataType() instanceof NumericType)) {
                            throw new BadInputException(path + ": no column '" + table.featuresCol() + "', and column '" + f.name() + "' ("
                                    + f.dataType().simpleString() + ") is not a number, so the features cannot be every other column"
                                    + " (choose them with --features-col)");
                        }
                        features.add(frame.col(f.name()).cast(DataTypes.DoubleType));
                    }
                    if (features.isEmpty()) throw new BadInputException(path + ": no columns besides the label '" + table.labelCol() + "'");
                    shape = Shape.COLUMNS;
                }
            }
        }
        List<Column> columns = new ArrayList<>();
        columns.add(label);
        columns.addAll(features);
        columns.add(functions.col("_metadata.file_path").as(FILE));
        columns.add(functions.col("_metadata.file_block_start").as(BLOCK));
        Dataset<Row> placed = frame.select(columns.toArray(new Column[0]));

        boolean libsvm = table.format() == TableFormat.LIBSVM;
        Placement placement;
        try {
            placement = place(placed.groupBy(FILE, BLOCK).count().collectAsList(), csv != null && csv.header(), seed, testFraction);
        } catch (Exception e) { // a SparkException, which Java sees as checked
            if (libsvm && root(e) instanceof IllegalArgumentException) throw badLibsvm(path, root(e));
            if (e instanceof RuntimeException r) throw r;
            throw new IOException(e);
        }
        if (placement.rows() == 0) {
            throw new BadInputException(path + ": the table has no rows" + (table.format() == TableFormat.CSV ? " (a header line at most)" : ""));
        }
        Broadcast<Map<String, Start>> shared = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(placement.starts());
        int featureColumns = shape == Shape.CSV_LINE ? 0 : features.size(), csvColumns = csv == null ? 0 : csv.columns();
        boolean headers = csv != null && csv.header();
        JavaPairRDD<Row, Long> numbered = placed.javaRDD().mapPartitionsToPair(it -> {
            Map<String, long[]> seen = new HashMap<>();
            List<Tuple2<Row, Long>> out = new ArrayList<>();
            while (true) {
                Row r;
                try {
                    if (!it.hasNext()) break;
                    r = it.next();
                } catch (IllegalArgumentException e) { // Spark's LIBSVM parser on a malformed line
                    if (libsvm) throw badLibsvm(path, e);
                    throw e;
                }
                String key = r.getString(featureColumns + 1) + '\0' + r.getLong(featureColumns + 2);
                Start start = shared.value().get(key);
                long[] count = seen.get(key); // rows, training rows, test rows seen in this split
                if (count == null) {
                    seen.put(key, count = new long[3]);
                    if (shape == Shape.CSV_LINE && r.getLong(2) == 0) {
                        if (headers) continue; // a file's first line, when the table's first file starts with a header
                        r = RowFactory.create(stripByteOrderMark(r.getString(0)), r.get(1), r.get(2));
                    }
                }
                long g = start.first() + count[0]++;
                long index = isTest(seed, testFraction, g) ? -(start.testFirst() + count[2]++) - 1 : start.trainFirst() + count[1]++;
                Row row = shape == Shape.CSV_LINE ? csvRow(r.getString(0), csvColumns, r.getString(1), g)
                        : RowFactory.create(r.isNullAt(0) ? null : ((Number) r.get(0)).doubleValue(), features(r, shape, featureColumns), g, null);
                out.add(new Tuple2<>(row, index));
            }
            return out.iterator();
        });
        int found = width;
        if (found == 0 && csv != null) found = csv.columns() - 1;
        if (found == 0) {
            Row first = numbered.first()._1();
            found = first.isNullAt(1) ? 0 : ((Vector) first.get(1)).size();
        }
        return new Numbered(numbered, placement.rows() - placement.test(), placement.test(), found);
    }

    /** Each split's place in file order, from its row count: splits sorted by file path, then by where in the file they start. */
    private static Placement place(List<Row> counts, boolean headers, long seed, double fraction) {
        List<Row> sorted = new ArrayList<>(counts);
        sorted.sort(Comparator.comparing((Row r) -> r.getString(0)).thenComparingLong(r -> r.getLong(1)));
        Map<String, Start> starts = new HashMap<>();
        long first = 0, train = 0, test = 0;
        for (Row r : sorted) {
            starts.put(r.getString(0) + '\0' + r.getLong(1), new Start(first, train, test));
            long n = r.getLong(2) - (headers && r.getLong(1) == 0 ? 1 : 0);
            for (long g = first; g < first + n; g++) {
                if (isTest(seed, fraction, g)) test++;
                else train++;
            }
            first += n;
        }
        return new Placement(starts, first, test);
    }

    /** Whether row {@code g} (in file order) is a test row: a seeded draw per row, so the split never depends on partitioning. */
    static boolean isTest(long seed, double fraction, long g) {
        return fraction > 0 && (Seeds.derive(seed, TEST_SPLIT, g) >>> 11) * 0x1.0p-53 < fraction;
    }

    private static Vector features(Row r, Shape shape, int columns) {
        switch (shape) {
            case VECTOR:
                return r.isNullAt(1) ? null : (Vector) r.get(1);
            case ARRAY: {
                if (r.isNullAt(1)) return null;
                List<Object> list = r.getList(1);
                double[] v = new double[list.size()];
                for (int i = 0; i < v.length; i++) v[i] = list.get(i) == null ? Double.NaN : ((Number) list.get(i)).doubleValue();
                return Vectors.dense(v);
            }
            default: {
                double[] v = new double[columns];
                for (int i = 0; i < columns; i++) v[i] = r.isNullAt(1 + i) ? Double.NaN : ((Number) r.get(1 + i)).doubleValue();
                return Vectors.dense(v);
            }
        }
    }

    private static Dataset<Row> loadLibsvm(DataFrameReader reader, String path) {
        try {
            return reader.load(path);
        } catch (Exception e) { // a SparkException from a task, which Java sees as checked, or the reader's own
            // Spark's LIBSVM source parses while inferring the width, so a malformed line fails here.
            throw badLibsvm(path, root(e));
        }
    }

    private static BadInputException badLibsvm(String path, Throwable cause) {
        return new BadInputException(path + ": not a LIBSVM file Spark can read (" + firstLine(cause) + ")");
    }

    /**
     * A CSV line as a row (label, features, place in file order, problem): cells split at commas,
     * trimmed and unquoted; an empty cell is a missing value (a null label, a NaN feature). A line
     * of another width than the first, or with a word for a number, is a row whose problem says so.
     */
    static Row csvRow(String line, int columns, String file, long g) {
        // Scanned in place rather than with split and parseDouble per cell: those took most of the time a
        // run spent reading MNIST as CSV (a profile of the 60000-row read).
        double[] features = new double[columns - 1];
        Double label = null;
        int cell = 0, start = 0, n = line.length();
        try {
            for (int i = 0; i <= n; i++) {
                if (i < n && line.charAt(i) != ',') continue;
                if (cell < columns) {
                    double v = cellValue(line, start, i);
                    if (cell == 0) label = Double.isNaN(v) && isEmptyCell(line, start, i) ? null : v;
                    else features[cell - 1] = v;
                }
                cell++;
                start = i + 1;
            }
        } catch (NumberFormatException e) {
            int found = 1;
            for (int i = 0; i < n; i++) if (line.charAt(i) == ',') found++;
            return RowFactory.create(null, null, g, csvProblem(file, g, line, columns, found));
        }
        if (cell != columns) return RowFactory.create(null, null, g, csvProblem(file, g, line, columns, cell));
        return RowFactory.create(label, Vectors.dense(features), g, null);
    }

    /** The number in line[from, to), trimmed and unquoted; NaN for an empty cell. */
    private static double cellValue(String line, int from, int to) {
        while (from < to && line.charAt(from) <= ' ') from++;
        while (to > from && line.charAt(to - 1) <= ' ') to--;
        if (to - from >= 2 && line.charAt(from) == '"' && line.charAt(to - 1) == '"') return cellValue(line, from + 1, to - 1);
        if (from == to) return Double.NaN;
        // Whole numbers of up to 15 digits (pixels, labels) exactly as parseDouble would give them, without a substring.
        boolean negative = line.charAt(from) == '-';
        int digits = negative || line.charAt(from) == '+' ? from + 1 : from;
        if (to > digits && to - digits <= 15) {
            long v = 0;
            int i = digits;
            for (; i < to; i++) {
                char ch = line.charAt(i);
                if (ch < '0' || ch > '9') break;
                v = v * 10 + (ch - '0');
            }
            if (i == to) return negative ? -(double) v : (double) v;
        }
        return Double.parseDouble(line.substring(from, to));
    }

    private static boolean isEmptyCell(String line, int from, int to) {
        for (int i = from; i < to; i++) if (line.charAt(i) > ' ' && line.charAt(i) != '"') return false;
        return true;
    }

    static String stripByteOrderMark(String line) {
        return line.startsWith("\uFEFF") ? line.substring(1) : line;
    }

    /** What is wrong with a CSV line that does not fit the first line's columns, naming the file and row. */
    private static String csvProblem(String file, long row, String line, int columns, int found) {
        String shown = line.length() > 60 ? line.substring(0, 60) + "..." : line;
        String name = file;
        if (file.startsWith("file:")) {
            try {
                name = java.net.URI.create(file).getPath();
            } catch (IllegalArgumentException e) {
                name = file;
            }
        }
        return name + ": row " + row + " (from 0, in file order) " + (found != columns
                ? "has " + found + " columns but the first line has " + columns
                : "holds a value that is not a number") + ": '" + shown + "'";
    }

    private static Throwable root(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return root;
    }

    /** A CSV table's column count and whether its first line is a header, from the first line of its first file. */
    private record CsvShape(int columns, boolean header) {
    }

    private static CsvShape csvShape(Location where) throws IOException {
        Location file = where;
        if (where.isDirectory()) {
            List<String> files = TableFormat.dataFiles(where);
            if (files.isEmpty()) throw new BadInputException(where + ": no CSV files in the folder");
            file = where.child(files.get(0));
        }
        String line;
        try (InputStream raw = file.open();
             InputStream in = decompressed(raw, file.name());
             BufferedReader text = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            line = text.readLine();
        }
        // A byte-order mark (Excel's "CSV UTF-8") is not part of the first cell: with it a number looks like a header.
        if (line != null) line = stripByteOrderMark(line);
        if (line == null || line.isBlank()) throw new BadInputException(file + ": empty CSV file (expected the label then one column per feature)");
        String[] cells = line.split(",", -1);
        if (cells.length < 2) throw new BadInputException(file + ": one column only; a CSV table is the label then one column per feature");
        boolean header = false;
        try {
            Double.parseDouble(cells[0].trim());
        } catch (NumberFormatException e) {
            header = true;
        }
        return new CsvShape(cells.length, header);
    }

    private static InputStream decompressed(InputStream raw, String name) throws IOException {
        CompressionCodec codec = new CompressionCodecFactory(new org.apache.hadoop.conf.Configuration()).getCodec(new org.apache.hadoop.fs.Path(name));
        return codec == null ? raw : codec.createInputStream(raw);
    }

    private static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) root = root.getCause();
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
