package sparkprop.cli;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import sparkprop.core.BadInputException;
import sparkprop.data.Dataset;
import sparkprop.storage.Location;
import sparkprop.tables.TableData;
import sparkprop.tables.TableFormat;
import sparkprop.tables.TableReader;
import sparkprop.train.RunSettings;
import sparkprop.train.TrainConfig;
import sparkprop.train.DataSizeDefaults;
import sparkprop.train.Trainer;

/**
 * What a run trains on: sparkprop's own files (IDX, npz, text bitmaps), whose headers are read
 * before Spark starts so that most mistakes cost nothing, or a table (Parquet, ORC, CSV, LIBSVM),
 * which Spark SQL reads once Spark runs.
 */
final class RunData {
    /** The files, or null for a table. */
    private final Dataset files;
    /** The table and its test table (null: a fraction of its rows), or null for files. */
    private final TableReader.Table table, testTable;
    private final RunSettings settings;

    private RunData(Dataset files, TableReader.Table table, TableReader.Table testTable, RunSettings settings) {
        this.files = files;
        this.table = table;
        this.testTable = testTable;
        this.settings = settings;
    }

    /** Finds what --data (and --test-data) are: files, by their headers; a table, by its format only. */
    static RunData locate(RunSettings settings, Configuration hadoop) throws IOException {
        Location where = Location.of(settings.data(), hadoop, "--data");
        TableFormat format = where.exists() ? TableFormat.of(where) : null;
        if (format == null) {
            if (!settings.testData().isEmpty() || settings.testFraction() > 0) {
                throw new BadInputException("--data " + where + ": has its own test split; --test-data and --test-fraction are for tables");
            }
            return new RunData(Dataset.open(settings.data(), hadoop), null, null, settings);
        }
        TableReader.Table testTable = null;
        if (!settings.testData().isEmpty()) {
            if (settings.testFraction() > 0) throw new BadInputException("--test-data and --test-fraction: give one of them");
            Location test = Location.of(settings.testData(), hadoop, "--test-data");
            if (!test.exists()) throw new BadInputException("--test-data " + test + ": no such file or folder");
            TableFormat testFormat = TableFormat.of(test);
            if (testFormat == null) throw new BadInputException("--test-data " + test + ": not a table (.parquet, .orc, .csv, .libsvm files or folders of them)");
            testTable = table(test, testFormat, settings);
        } else if (settings.testFraction() == 0) {
            throw new BadInputException("--data " + where + " is a table: give its test set with --test-data PATH or --test-fraction F (e.g. 0.1)");
        }
        return new RunData(null, table(where, format, settings), testTable, settings);
    }

    private static TableReader.Table table(Location where, TableFormat format, RunSettings settings) {
        return new TableReader.Table(where, format, settings.featuresCol(), settings.labelCol());
    }

    boolean isTable() {
        return table != null;
    }

    /** The training examples, known before Spark for files; 0 for a table (known once read). */
    long trainCount() {
        return files == null ? 0 : files.train().count();
    }

    /** The input width, known before Spark for files; 0 for a table (known once read). */
    int width() {
        return files == null ? 0 : files.width();
    }

    /** Checks what can be checked before Spark: for files, the config against their headers. */
    void check(TrainConfig config) {
        if (files != null) Trainer.check(files, config);
    }

    /** The data a run trains on, read and cached, and the config with the input width the data has (unless --layers chose it). */
    /** @param note what was fitted to a table's width and size, for the console (null if nothing) */
    record Loaded(Trainer trainer, TrainConfig config, String note, long trainCount, long testCount, int width) {
    }

    /**
     * Reads and caches the data; for a table, the config takes the table's width unless {@code
     * chosen} holds layers, and is fitted to its size ({@link DataSizeDefaults}) where the user did not choose.
     */
    Loaded load(JavaSparkContext sc, TrainConfig config, java.util.Set<String> chosen) throws IOException {
        boolean widthFixed = chosen.contains("layers");
        if (files != null) {
            Trainer trainer = new Trainer(sc, files, config, settings.partitions());
            return new Loaded(trainer, trainer.config(), null, files.train().count(), files.test().count(), files.width());
        }
        SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
        int[] layers = config.layers();
        config = config.withShardsFor(sparkprop.shards.TaskSlots.partitionsFor(sc.sc(), settings.partitions()));
        TableData data = TableData.load(spark, table, testTable, settings.testFraction(), config.seed(), widthFixed ? layers[0] : 0,
                layers[layers.length - 1], config.shards(), settings.partitions());
        DataSizeDefaults.Fitted fitted = DataSizeDefaults.fitTo(config, data.train().width(), data.train().layout().examples(), chosen);
        Trainer.check(data.train().layout().examples(), data.train().width(), fitted.config());
        Trainer trainer = new Trainer(sc, data.train().blocks(), data.train().layout(), data.train().width(), data.test().blocks(),
                data.train().input(), fitted.config());
        return new Loaded(trainer, fitted.config(), fitted.note(), data.train().layout().examples(), data.test().layout().examples(),
                data.train().width());
    }
}
