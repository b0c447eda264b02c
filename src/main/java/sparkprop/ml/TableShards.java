package sparkprop.ml;

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
import sparkprop.shards.ShardLayout;

/**
 * A table (a label column of class indices and a features column of ml Vectors) cut into the same
 * shards files get: rows in the table's order are examples 0..N-1, shard s holds a contiguous
 * range, and each partition caches its shards packed, uint8 when every value is a whole number
 * 0..255 and some exceed 1 (inputs value/255, as images) and float32 otherwise. So the same rows in the same order
 * train to the same bits as the same examples read from IDX files.
 */
record TableShards(JavaRDD<ShardBlock> blocks, ShardLayout layout, int width, String input) {

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

    static void checkSchema(StructType schema, String featuresCol, String labelCol) {
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

    static TableShards of(Dataset<?> table, String featuresCol, String labelCol, int width, int classes, int shards, int partitions) {
        checkSchema(table.schema(), featuresCol, labelCol);
        JavaPairRDD<Row, Long> indexed = table.select(labelCol, featuresCol).toDF().javaRDD().zipWithIndex();
        indexed.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Survey survey = indexed.map(r -> {
                        Survey one = survey(r._1(), r._2(), width, classes, featuresCol, labelCol);
                        return one.problem() == null ? one : new Survey(1, true, false, one.problem(), r._2());
                    })
                    .fold(new Survey(0, true, false, null), Survey::plus);
            if (survey.problem() != null) throw new BadInputException(survey.problem());
            if (survey.rows() == 0) throw new BadInputException("the table has no rows to train on");
            if (survey.rows() > Integer.MAX_VALUE) throw new BadInputException("the table has " + survey.rows() + " rows; at most 2^31-1 fit");
            int parts = partitions > 0 ? partitions : table.sparkSession().sparkContext().defaultParallelism();
            ShardLayout layout = new ShardLayout((int) survey.rows(), shards, parts);
            boolean uint8 = survey.uint8();
            JavaRDD<ShardBlock> blocks = indexed
                    .mapToPair(r -> {
                        Packed p = pack(r._1(), r._2(), layout.shardOf(r._2()), width, uint8);
                        return new Tuple2<>(layout.partitionOf(p.shard()), p);
                    })
                    .partitionBy(new HashPartitioner(layout.partitions()))
                    .mapPartitions(rows -> blocksOf(rows, layout, width, uint8).iterator());
            blocks.setName("table " + featuresCol + "/" + labelCol).persist(StorageLevel.MEMORY_ONLY());
            blocks.count();
            return new TableShards(blocks, layout, width, uint8 ? Model.UINT8 : Model.FLOAT32);
        } finally {
            indexed.unpersist(false);
        }
    }

    private static Survey survey(Row row, long index, int width, int classes, String featuresCol, String labelCol) {
        if (row.isNullAt(0)) return new Survey(1, true, false, "labelCol '" + labelCol + "': row " + index + " has no label (null)");
        if (row.isNullAt(1)) return new Survey(1, true, false, "featuresCol '" + featuresCol + "': row " + index + " has no features (null)");
        double label = ((Number) row.get(0)).doubleValue();
        if (label != Math.rint(label) || label < 0 || label >= classes) {
            return new Survey(1, true, false, "labelCol '" + labelCol + "': value " + label + " in row " + index + " is not a class index 0.."
                    + (classes - 1) + " (the last layer has " + classes + " outputs)");
        }
        Vector v = (Vector) row.get(1);
        if (v.size() != width) {
            return new Survey(1, true, false, "featuresCol '" + featuresCol + "': row " + index + " has " + v.size() + " values but layers[0] is "
                    + width);
        }
        double[] values = v.toArray();
        boolean wholeBytes = true, aboveOne = false;
        for (double x : values) {
            if (!Double.isFinite(x)) return new Survey(1, true, false, "featuresCol '" + featuresCol + "': row " + index + " holds " + x);
            if (x != Math.rint(x) || x < 0 || x > 255) wholeBytes = false;
            if (x > 1) aboveOne = true;
        }
        return new Survey(1, wholeBytes, aboveOne, null);
    }

    private static Packed pack(Row row, long index, int shard, int width, boolean uint8) {
        double[] values = ((Vector) row.get(1)).toArray();
        byte label = (byte) ((Number) row.get(0)).intValue();
        if (uint8) {
            byte[] pixels = new byte[width];
            for (int i = 0; i < width; i++) pixels[i] = (byte) (int) values[i];
            return new Packed(index, shard, label, pixels, null);
        }
        float[] floats = new float[width];
        for (int i = 0; i < width; i++) floats[i] = (float) values[i];
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
