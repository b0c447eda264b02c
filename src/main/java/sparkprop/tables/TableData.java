package sparkprop.tables;

import java.io.IOException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import sparkprop.core.BadInputException;

/**
 * A training table and its test set (another table, or a seeded share of its rows), read in file
 * order and cut into cached shards: what the trainer needs from {@code --data TABLE}.
 *
 * @param test the test set's shards, packed as the training set's inputs are
 */
public record TableData(TableShards train, TableShards test) {

    /**
     * @param testTable    the test table, or null to set aside {@code testFraction} of {@code table}'s rows
     * @param width        features per row ({@code layers[0]}), or 0 to take it from the data
     * @param classes      the network's outputs: labels must be 0..classes-1
     */
    public static TableData load(SparkSession spark, TableReader.Table table, TableReader.Table testTable, double testFraction, long seed,
                                 int width, int classes, int shards, int partitions) throws IOException {
        TableReader.Numbered rows = TableReader.read(spark, table, width, testTable == null ? testFraction : 0, seed);
        rows.rows().persist(StorageLevel.MEMORY_AND_DISK());
        try {
            if (rows.train() == 0) throw new BadInputException(table.where() + ": no rows to train on");
            int w = rows.width();
            TableShards train = TableShards.of(rows.trainRows(), table.naming(), w, classes, shards, partitions, null);
            TableShards test;
            if (testTable == null) {
                if (rows.test() == 0) {
                    throw new BadInputException(table.where() + ": --test-fraction " + testFraction + " set aside no rows of " + rows.train()
                            + "; give a larger fraction or --test-data");
                }
                test = TableShards.of(rows.testRows(), table.naming(), w, classes, testParts(spark, rows.test()), 0, train.input());
            } else {
                TableReader.Numbered other = TableReader.read(spark, testTable, w, 0, seed);
                if (other.train() == 0) throw new BadInputException(testTable.where() + ": the test table has no rows");
                test = TableShards.of(other.trainRows(), testTable.naming(), w, classes, testParts(spark, other.train()), 0, train.input());
            }
            return new TableData(train, test);
        } finally {
            rows.rows().unpersist(false);
        }
    }

    /**
     * A table scored as a whole by a model whose inputs are {@code input}: evaluate's {@code --data
     * TABLE}, or with {@code testFraction} the test rows a training run with that seed set aside.
     */
    public static TableShards forModel(SparkSession spark, TableReader.Table table, double testFraction, long seed, int width, int classes,
                                       sparkprop.core.InputScaling input) throws IOException {
        TableReader.Numbered rows = TableReader.read(spark, table, width, testFraction, seed);
        rows.rows().persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long n = testFraction > 0 ? rows.test() : rows.train();
            if (n == 0) throw new BadInputException(table.where() + ": no rows to score" + (testFraction > 0 ? " in the test fraction" : ""));
            return TableShards.of(testFraction > 0 ? rows.testRows() : rows.trainRows(), table.naming(), width, classes, testParts(spark, n), 0,
                    input);
        } finally {
            rows.rows().unpersist(false);
        }
    }

    /** A test set is scored, not trained on: one shard per core, so every core has a share. */
    private static int testParts(SparkSession spark, long rows) {
        return (int) Math.min(spark.sparkContext().defaultParallelism(), rows);
    }
}
