package sparkprop.tables;

import sparkprop.core.InputScaling;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import sparkprop.core.BadInputException;
import sparkprop.core.Model;
import sparkprop.data.Examples;
import sparkprop.shards.ShardBlock;
import sparkprop.shards.ShardCache;
import sparkprop.shards.KryoRecords;
import sparkprop.shards.ShardLayout;
import sparkprop.shards.TaskSlots;

/**
 * A table (a label column of class indices and a features column of ml Vectors) cut into the same
 * shards files get: rows in the table's order are examples 0..N-1, shard s holds a contiguous
 * range, and each partition caches its shards packed, uint8 when every value is a whole number
 * 0..255 and some exceed 1 (inputs value/255, as images) and float32 otherwise. So the same rows in the same order
 * train to the same bits as the same examples read from IDX files.
 */
public record TableShards(JavaRDD<ShardBlock> blocks, ShardLayout layout, int width, InputScaling input) {

    /**
     * What messages call the two columns: {@code featuresCol 'features'} in spark.ml, the file and
     * column on the command line.
     */
    public record Naming(String features, String label) implements Serializable {
        public static Naming params(String featuresCol, String labelCol) {
            return new Naming("featuresCol '" + featuresCol + "'", "labelCol '" + labelCol + "'");
        }
    }

    /** How a row's raw values become packed inputs. */
    private enum Packing {
        /** uint8 pixels; the network sees value/255. */
        PIXELS,
        /** float32 values as they are. */
        VALUES,
        /** float32 values/255: a test set that is not whole bytes, for a model trained on pixels. */
        VALUES_OVER_255
    }

    /** What one pass over the table finds: its size, whether it is uint8, and the first bad row. */
    private record Survey(long rows, boolean wholeBytes, boolean aboveOne, String problem, long problemRow) implements Serializable {
        Survey(long rows, boolean wholeBytes, boolean aboveOne, String problem) {
            this(rows, wholeBytes, aboveOne, problem, Long.MAX_VALUE);
        }

        /** Adds up; of two problems the one in the earlier row is reported. */
        Survey plus(Survey o) {
            boolean mine = problem != null && (o.problem == null || problemRow <= o.problemRow);
            return new Survey(rows + o.rows, wholeBytes && o.wholeBytes, aboveOne || o.aboveOne, mine ? problem : o.problem,
                    mine ? problemRow : o.problemRow);
        }

        /**
         * Pixels: every value a whole number 0..255 and some above 1. A table of only 0s and 1s is
         * binary features, not pixels; dividing it by 255 would only slow training down.
         */
        boolean uint8() {
            return wholeBytes && aboveOne;
        }
    }

    /** One row, packed: its place in the table, its shard, its label and its values (uint8 or float32). */
    private record Packed(long index, int shard, byte label, byte[] pixels, float[] values) implements Serializable {
    }

    public static void checkSchema(StructType schema, String featuresCol, String labelCol) {
        List<String> names = List.of(schema.fieldNames());
        if (!names.contains(featuresCol)) throw new BadInputException("featuresCol '" + featuresCol + "': no such column (columns: " + names + ")");
        DataType features = schema.apply(featuresCol).dataType();
        if (!(features instanceof VectorUDT)) {
            throw new BadInputException("featuresCol '" + featuresCol + "': expected an ml Vector column (e.g. from VectorAssembler), got "
                    + features.simpleString());
        }
        if (labelCol == null) return;
        if (!names.contains(labelCol)) throw new BadInputException("labelCol '" + labelCol + "': no such column (columns: " + names + ")");
        if (!(schema.apply(labelCol).dataType() instanceof NumericType)) {
            throw new BadInputException("labelCol '" + labelCol + "': expected class indices 0..K-1 as numbers, got "
                    + schema.apply(labelCol).dataType().simpleString());
        }
    }

    /**
     * A spark.ml DataFrame in its own row order, cut into shards; uint8 or float32 as its values
     * decide.
     */
    public static TableShards of(Dataset<?> table, String featuresCol, String labelCol, int width, int classes, int shards, int partitions) {
        return of(table, featuresCol, labelCol, width, classes, shards, partitions, null);
    }

    /** The same with the inputs' scaling given (a validation set takes its training set's), or null to choose from the values. */
    public static TableShards of(Dataset<?> table, String featuresCol, String labelCol, int width, int classes, int shards, int partitions,
                                 InputScaling input) {
        checkSchema(table.schema(), featuresCol, labelCol);
        JavaPairRDD<Row, Long> indexed = table.select(labelCol, featuresCol).toDF().javaRDD().zipWithIndex();
        indexed.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            return of(indexed, Naming.params(featuresCol, labelCol), width, classes, shards, partitions, input);
        } finally {
            indexed.unpersist(false);
        }
    }

    /**
     * Rows (label, features as an ml Vector) with their indices 0..N-1, cut into shards. One pass
     * surveys them (size, first bad row, whether they are pixels), a second packs them; cache
     * {@code indexed} if computing it twice is costly.
     *
     * @param input the scaling the inputs must get (a
     *              test set gets its training set's), or null to choose from the values
     */
    public static TableShards of(JavaPairRDD<Row, Long> indexed, Naming naming, int width, int classes, int shards, int partitions, InputScaling input) {
        KryoRecords.check(indexed.context().getConf());
        if (classes > Examples.MAX_CLASSES) {
            // Labels are kept as one byte each: a larger index would wrap and train silently on the wrong class.
            throw new BadInputException("layers: the last layer has " + classes + " outputs, but at most " + Examples.MAX_CLASSES
                    + " classes (labels 0.." + (Examples.MAX_CLASSES - 1) + ") are supported");
        }
        Survey survey = indexed.map(r -> {
                    Survey one = survey(r._1(), r._2(), width, classes, naming);
                    return one.problem() == null ? one : new Survey(1, true, false, one.problem(), r._2());
                })
                .fold(new Survey(0, true, false, null), Survey::plus);
        if (survey.problem() != null) throw new BadInputException(survey.problem());
        if (survey.rows() == 0) throw new BadInputException(naming.features() + ": the table has no rows");
        if (survey.rows() > Integer.MAX_VALUE) throw new BadInputException(naming.features() + ": " + survey.rows() + " rows; at most 2^31-1 fit");
        int parts = TaskSlots.partitionsFor(indexed.context(), partitions);
        if (shards > survey.rows()) throw new BadInputException("shards " + shards + ": more than the table's " + survey.rows() + " rows");
        ShardLayout layout = new ShardLayout((int) survey.rows(), shards, parts);
        boolean pixels = input == null ? survey.uint8() : input == InputScaling.UINT8;
        Packing packing = !pixels ? Packing.VALUES : survey.wholeBytes() ? Packing.PIXELS : Packing.VALUES_OVER_255;
        JavaRDD<ShardBlock> blocks = indexed
                .mapToPair(r -> {
                    Packed p = pack(r._1(), r._2(), layout.shardOf(r._2()), width, packing);
                    return new Tuple2<>(layout.partitionOf(p.shard()), p);
                })
                .partitionBy(new HashPartitioner(layout.partitions()))
                .mapPartitions(rows -> blocksOf(rows, layout, width, packing == Packing.PIXELS).iterator());
        ShardCache.persist(blocks, "table " + naming.features());
        return new TableShards(blocks, layout, width, pixels ? InputScaling.UINT8 : InputScaling.FLOAT32);
    }

    /**
     * A row as messages name it: by its place in the file order when the reader numbered it so
     * (the CLI's tables, whose training index skips the test rows), else by its index.
     */
    private static String rowName(Row row, long index) {
        return row.size() > 2 ? "row " + row.getLong(2) + " (from 0, in file order)" : "row " + index;
    }

    private static Survey survey(Row row, long index, int width, int classes, Naming naming) {
        // A line the reader could not parse as a row (a CSV line of another width): its own message, naming the file.
        if (row.size() > 3 && !row.isNullAt(3)) return new Survey(1, true, false, row.getString(3));
        if (row.isNullAt(0)) return new Survey(1, true, false, naming.label() + ": " + rowName(row, index) + " has no label (null)");
        if (row.isNullAt(1)) return new Survey(1, true, false, naming.features() + ": " + rowName(row, index) + " has no features (null)");
        double label = ((Number) row.get(0)).doubleValue();
        if (label != Math.rint(label) || label < 0 || label >= classes) {
            return new Survey(1, true, false, naming.label() + ": value " + label + " in " + rowName(row, index) + " is not a class index 0.."
                    + (classes - 1) + " (the last layer has " + classes + " outputs)");
        }
        Vector v = (Vector) row.get(1);
        if (v.size() != width) {
            return new Survey(1, true, false, naming.features() + ": " + rowName(row, index) + " has " + v.size() + " values but layers[0] is "
                    + width);
        }
        double[] values = v.toArray();
        boolean wholeBytes = true, aboveOne = false;
        for (int i = 0; i < values.length; i++) {
            double x = values[i];
            // Training is in float32: a finite double beyond its range (1e39) would become infinite there.
            if (!Float.isFinite((float) x)) return new Survey(1, true, false, naming.features() + ": " + rowName(row, index) + " holds " + x
                    + " at position " + i + (Double.isNaN(x) ? " (a missing or non-numeric value)"
                    : Double.isFinite(x) ? " (beyond float32's range, +-3.4e38)" : ""));
            if (x != Math.rint(x) || x < 0 || x > 255) wholeBytes = false;
            if (x > 1) aboveOne = true;
        }
        return new Survey(1, wholeBytes, aboveOne, null);
    }

    private static Packed pack(Row row, long index, int shard, int width, Packing packing) {
        double[] values = ((Vector) row.get(1)).toArray();
        byte label = (byte) ((Number) row.get(0)).intValue();
        if (packing == Packing.PIXELS) {
            byte[] pixels = new byte[width];
            for (int i = 0; i < width; i++) pixels[i] = (byte) (int) values[i];
            return new Packed(index, shard, label, pixels, null);
        }
        float[] floats = new float[width];
        for (int i = 0; i < width; i++) floats[i] = (float) values[i];
        // As a uint8 model scales pixels (Examples#toInputs), so a whole byte scales to the same bits either way.
        if (packing == Packing.VALUES_OVER_255) for (int i = 0; i < width; i++) floats[i] = InputScaling.UINT8.input(floats[i]);
        return new Packed(index, shard, label, null, floats);
    }

    /** A partition's rows grouped into its shards, each in table order. */
    private static List<ShardBlock> blocksOf(java.util.Iterator<Tuple2<Integer, Packed>> rows, ShardLayout layout, int width, boolean uint8) {
        Map<Integer, List<Packed>> byShard = new TreeMap<>();
        while (rows.hasNext()) {
            Packed p = rows.next()._2();
            byShard.computeIfAbsent(p.shard(), s -> new ArrayList<>()).add(p);
        }
        List<ShardBlock> blocks = new ArrayList<>();
        for (Map.Entry<Integer, List<Packed>> shard : byShard.entrySet()) {
            List<Packed> list = shard.getValue();
            list.sort(Comparator.comparingLong(Packed::index));
            int n = list.size();
            byte[] labels = new byte[n];
            byte[] pixels = uint8 ? new byte[n * width] : null;
            float[] values = uint8 ? null : new float[n * width];
            for (int i = 0; i < n; i++) {
                Packed p = list.get(i);
                labels[i] = p.label();
                if (uint8) System.arraycopy(p.pixels(), 0, pixels, i * width, width);
                else System.arraycopy(p.values(), 0, values, i * width, width);
            }
            Examples examples = uint8 ? new Examples(pixels, labels, n, width) : Examples.ofValues(values, labels, n, width);
            blocks.add(new ShardBlock(shard.getKey(), layout.shardStart(shard.getKey()), examples));
        }
        return blocks;
    }
}
