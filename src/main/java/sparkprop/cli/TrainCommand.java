package sparkprop.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sparkprop.core.Blas;
import sparkprop.data.Dataset;
import sparkprop.train.EpochMetrics;
import sparkprop.train.TrainConfig;
import sparkprop.train.Trainer;
import sparkprop.train.TrainingListener;
import sparkprop.train.TrainingResult;
import sparkprop.train.TrainingState;

/**
 * {@code train}: validate the settings and the data's headers before Spark starts, run the loop,
 * and leave a run folder with the model, per-epoch metrics and a summary.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a fully-connected network with synchronous data-parallel SGD on Spark. "
                + "Defaults come from conf/train.properties; --config FILE and then these options override them.")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--data", paramLabel = "PATH", description = "IDX folder (raw or .gz), .npz file, or text-bitmap folder/.zip; any Hadoop path.")
    String data;
    @Option(names = "--layers", paramLabel = "SIZES", description = "Layer sizes, e.g. 784,100,10 (the input size follows the data unless given here or in --config).")
    String layers;
    @Option(names = "--activation", description = "Hidden activation: sigmoid, relu, tanh, identity.")
    String activation;
    @Option(names = "--loss", description = "ce (softmax + cross-entropy) or mse (squared error).")
    String loss;
    @Option(names = "--output", description = "Output activation for mse: sigmoid or identity (ce always uses softmax).")
    String output;
    @Option(names = "--init", description = "Initialiser: he, xavier, normal, standard-normal, uniform, zeros, ones.")
    String init;
    @Option(names = "--init-std", paramLabel = "STD", description = "Standard deviation of --init normal.")
    String initStd;
    @Option(names = "--optimizer", description = "sgd, momentum, nesterov or adam.")
    String optimizer;
    @Option(names = "--learning-rate", paramLabel = "X", description = "Base learning rate.")
    String learningRate;
    @Option(names = "--momentum", paramLabel = "M", description = "Momentum coefficient for momentum/nesterov, in [0, 1).")
    String momentum;
    @Option(names = "--weight-decay", paramLabel = "L2", description = "L2 weight decay.")
    String weightDecay;
    @Option(names = "--schedule", description = "Learning-rate schedule: constant, step or cosine.")
    String schedule;
    @Option(names = "--warmup", paramLabel = "EPOCHS", description = "Linear learning-rate warm-up, in epochs (may be fractional).")
    String warmup;
    @Option(names = "--decay-epochs", paramLabel = "EPOCHS", description = "For --schedule step: epochs between decays.")
    String decayEpochs;
    @Option(names = "--decay-factor", paramLabel = "F", description = "For --schedule step: factor applied at each decay.")
    String decayFactor;
    @Option(names = "--batch-size", paramLabel = "B", description = "Global mini-batch size, whatever the number of executors.")
    String batchSize;
    @Option(names = "--epochs", paramLabel = "N", description = "Epochs to train.")
    String epochs;
    @Option(names = "--seed", paramLabel = "S", description = "Seed of every random choice (init, shuffling, hold-out).")
    String seed;
    @Option(names = "--shards", paramLabel = "L", description = "Logical data shards; with the seed, fixes the result bit for bit on any cluster.")
    String shards;
    @Option(names = "--partitions", paramLabel = "P", description = "Spark partitions holding the shards (0: one per core).")
    String partitions;
    @Option(names = "--validation", paramLabel = "N", description = "Training examples held out for validation and model selection.")
    String validation;
    @Option(names = "--patience", paramLabel = "P", description = "Stop after P epochs without a better validation loss (0: never).")
    String patience;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default local[*]; spark-submit's own master wins when not given).")
    String master;
    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default runs/<timestamp>); must not exist or be empty.")
    String out;
    @Option(names = "--config", paramLabel = "FILE", description = "Properties file of settings (keys are these option names).")
    String config;

    @Override
    public Integer call() throws Exception {
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec o : command.options()) {
            String key = o.longestName().replaceFirst("^--", "");
            if (TrainConfig.KEYS.contains(key) && o.getValue() != null) given.put(key, o.getValue().toString());
        }
        Map<String, String> settings = Settings.merge(config, given);
        boolean layersGiven = given.containsKey("layers") || (config != null && Settings.file(config).containsKey("layers"));
        boolean masterGiven = given.containsKey("master");
        if (settings.getOrDefault("out", "").isBlank()) {
            settings.put("out", "runs/" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        TrainConfig cfg = TrainConfig.fromMap(settings);

        // Everything checkable without Spark is checked before it starts.
        Dataset dataset = Dataset.open(cfg.data(), new Configuration());
        if (!layersGiven) cfg = cfg.withInputWidth(dataset.width());
        Trainer.check(dataset, cfg);
        RunFolder run = RunFolder.create(Path.of(cfg.out()));

        SparkConf sparkConf = new SparkConf().setAppName("sparkprop train")
                .setIfMissing("spark.ui.enabled", "false")
                .setIfMissing("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
        if (masterGiven) sparkConf.setMaster(cfg.master()); else sparkConf.setIfMissing("spark.master", cfg.master());
        try (JavaSparkContext sc = new JavaSparkContext(sparkConf)) {
            sc.setLogLevel("WARN");
            long started = System.nanoTime();
            Trainer trainer = new Trainer(sc, dataset, cfg);
            System.out.printf("training %s on %s: %d train / %d test examples, batch %d over %d shards in %d partitions, "
                            + "%d steps/epoch, master %s, BLAS %s (data ready in %.1f s)%n",
                    trainer.spec(), cfg.data(), dataset.train().count(), dataset.test().count(), cfg.batchSize(), cfg.shards(),
                    trainer.layout().partitions(), trainer.stepsPerEpoch(), sc.master(), Blas.backend(), (System.nanoTime() - started) / 1e9);
            final TrainConfig runConfig = cfg;
            TrainingResult result = trainer.run(trainer.initialState(), new TrainingListener() {
                @Override
                public void epochFinished(EpochMetrics m, TrainingState state) {
                    System.out.printf("epoch %3d/%d  train loss %.4f%s  test acc %.2f%% (loss %.4f)  %.1f s  %,.0f samples/s%n",
                            m.epoch(), runConfig.epochs(), m.trainLoss(),
                            Double.isNaN(m.valLoss()) ? "" : String.format("  val loss %.4f acc %.2f%%", m.valLoss(), 100 * m.valAccuracy()),
                            100 * m.testAccuracy(), m.testLoss(), m.epochSeconds(), m.samplesPerSecond());
                    try {
                        run.appendMetrics(m);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            String sha = run.saveModel(result.model());
            EpochMetrics kept = result.history().get(result.bestEpoch() - 1);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("test_accuracy", kept.testAccuracy());
            summary.put("test_loss", kept.testLoss());
            summary.put("epochs", result.history().size());
            summary.put("best_epoch", result.bestEpoch());
            summary.put("stopped_early", result.stoppedEarly());
            summary.put("train_seconds", result.trainSeconds());
            summary.put("model_file", run.model().toAbsolutePath().toString());
            summary.put("model_sha256", sha);
            summary.put("network", trainer.spec().toString());
            summary.put("parameters", trainer.spec().parameterCount());
            summary.put("master", sc.master());
            summary.put("default_parallelism", sc.defaultParallelism());
            summary.put("blas", Blas.backend());
            summary.put("config", cfg.toMap());
            run.writeSummary(summary);
            System.out.printf("test accuracy %.2f%% (epoch %d of %d) in %.1f s of training%n", 100 * kept.testAccuracy(),
                    result.bestEpoch(), result.history().size(), result.trainSeconds());
            System.out.println("model:   " + run.model());
            System.out.println("metrics: " + run.dir.resolve(RunFolder.METRICS));
            System.out.println("summary: " + run.dir.resolve(RunFolder.SUMMARY));
        }
        return 0;
    }
}
