package sparkprop.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sparkprop.core.Blas;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.eval.ConfusionMatrix;
import sparkprop.eval.DigitImages;
import sparkprop.eval.Evaluation;
import sparkprop.eval.ReportPage;
import sparkprop.eval.TrainingCurves;
import sparkprop.data.Dataset;
import sparkprop.train.Checkpoint;
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
    @Option(names = "--input-dropout", paramLabel = "RATE", description = "Fraction of input pixels dropped at each training step (inverted dropout; 0: off).")
    String inputDropout;
    @Option(names = "--dropout", paramLabel = "RATE", description = "Fraction of hidden units dropped at each training step (inverted dropout; 0: off).")
    String dropout;
    @Option(names = "--max-norm", paramLabel = "C", description = "Limit on the L2 norm of each unit's incoming weights, applied after every update (0: off).")
    String maxNorm;
    @Option(names = "--ema", paramLabel = "DECAY", description = "Evaluate and save an exponential moving average of the parameters over steps, "
            + "with this decay per step (e.g. 0.999; 0: off). Training continues from the raw parameters.")
    String ema;
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
    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR from its last checkpoint (its settings; only --master and --stop-after may be given).")
    Path resume;
    @Option(names = "--stop-after", paramLabel = "EPOCHS", description = "Stop after this many epochs in all, leaving a checkpoint to --resume.")
    Integer stopAfter;

    @Override
    public Integer call() throws Exception {
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec o : command.options()) {
            String key = o.longestName().replaceFirst("^--", "");
            if (TrainConfig.KEYS.contains(key) && o.getValue() != null) given.put(key, o.getValue().toString());
        }
        if (stopAfter != null && stopAfter <= 0) throw new IllegalArgumentException("--stop-after " + stopAfter + ": expected a positive number of epochs");

        TrainConfig cfg;
        TrainingState resumed = null;
        RunFolder run;
        Dataset dataset;
        if (resume != null) {
            given.remove("master");
            if (!given.isEmpty() || config != null) {
                throw new IllegalArgumentException("--resume takes its settings from the checkpoint; only --master and --stop-after may be given with it"
                        + " (got " + (config != null ? "--config" : "--" + given.keySet().iterator().next()) + ")");
            }
            run = new RunFolder(resume);
            run.removeLeftoverTemporaryFiles();
            Checkpoint.Loaded loaded = Checkpoint.load(resume.resolve(Checkpoint.FILE));
            cfg = loaded.config();
            if (master != null) cfg = TrainConfig.fromMap(with(cfg.toMap(), "master", master));
            resumed = loaded.state();
            dataset = Dataset.open(cfg.data(), new Configuration());
            Trainer.check(dataset, cfg);
            MasterCheck.reachable(effectiveMaster(cfg));
        } else {
            Map<String, String> fromFile = config == null ? Map.of() : Settings.file(config);
            Map<String, String> settings = Settings.merge(fromFile, given);
            boolean layersGiven = given.containsKey("layers") || fromFile.containsKey("layers");
            if (settings.getOrDefault("out", "").isBlank()) {
                settings.put("out", "runs/" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            }
            cfg = TrainConfig.fromMap(settings);
            // Everything checkable without Spark is checked before it starts or anything is written.
            dataset = Dataset.open(cfg.data(), new Configuration());
            if (!layersGiven) cfg = cfg.withInputWidth(dataset.width());
            Trainer.check(dataset, cfg);
            MasterCheck.reachable(effectiveMaster(cfg));
            run = RunFolder.create(Path.of(cfg.out()));
        }

        boolean createdHere = resume == null;
        try {
            return train(cfg, resumed, run, dataset);
        } catch (Exception | Error e) { // Spark task failures arrive as a checked SparkException
            // A run that fails before its first checkpoint leaves nothing worth keeping.
            if (createdHere) run.deleteIfNoCheckpoint();
            throw e;
        }
    }

    private int train(TrainConfig cfg, TrainingState resumed, RunFolder run, Dataset dataset) throws Exception {
        try (JavaSparkContext sc = SparkContexts.start("sparkprop train", master != null ? cfg.master() : null, cfg.master())) {
            long started = System.nanoTime();
            Trainer trainer = new Trainer(sc, dataset, cfg);
            TrainingState state = resumed != null ? resumed : trainer.initialState();
            System.out.printf("%s %s on %s: %d train / %d test examples, batch %d over %d shards in %d partitions, "
                            + "%d steps/epoch, master %s, BLAS %s (data ready in %.1f s)%n",
                    resumed != null ? "resuming after epoch " + state.epochsDone + ":" : "training", trainer.spec(), cfg.data(),
                    dataset.train().count(), dataset.test().count(), cfg.batchSize(), cfg.shards(), trainer.layout().partitions(),
                    trainer.stepsPerEpoch(), sc.master(), Blas.backend(), (System.nanoTime() - started) / 1e9);
            run.rewriteMetrics(state.history); // a crash after an epoch's metrics line but before its checkpoint leaves a line too many
            TrainingResult result = trainer.run(state, new RunRecorder(run, cfg, new ConsoleProgress(cfg.epochs(), System.out)),
                    stopAfter == null ? cfg.epochs() : stopAfter);
            boolean complete = result.stoppedEarly() || state.epochsDone >= cfg.epochs();
            if (result.history().isEmpty()) throw new IllegalArgumentException("--stop-after " + stopAfter + ": the run is already past it");
            String sha = run.saveModel(result.model());
            EpochMetrics kept = result.history().get(result.bestEpoch() - 1);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("test_accuracy", kept.testAccuracy());
            summary.put("test_loss", kept.testLoss());
            summary.put("epochs", result.history().size());
            summary.put("best_epoch", result.bestEpoch());
            if (!Double.isNaN(kept.valLoss())) summary.put("val_loss", kept.valLoss());
            summary.put("complete", complete);
            summary.put("stopped_early", result.stoppedEarly());
            summary.put("train_seconds", result.history().stream().mapToDouble(EpochMetrics::epochSeconds).sum());
            summary.put("model_file", run.model().toAbsolutePath().toString());
            summary.put("model_sha256", sha);
            summary.put("network", trainer.spec().toString());
            summary.put("parameters", trainer.spec().parameterCount());
            summary.put("master", sc.master());
            summary.put("default_parallelism", sc.defaultParallelism());
            summary.put("blas", Blas.backend());
            summary.put("config", cfg.toMap());
            run.writeSummary(summary);
            System.out.printf("test accuracy %.2f%% (epoch %d of %d%s) in %.1f s of training%n", 100 * kept.testAccuracy(),
                    result.bestEpoch(), result.history().size(), result.stoppedEarly() ? ", stopped early" : "",
                    summary.get("train_seconds"));
            if (!complete) System.out.println("stopped after epoch " + state.epochsDone + " of " + cfg.epochs() + "; continue with --resume " + run.dir);
            System.out.println("model:   " + run.model());
            System.out.println("metrics: " + run.dir.resolve(RunFolder.METRICS));
            System.out.println("summary: " + run.dir.resolve(RunFolder.SUMMARY));
            writeReport(sc, run, dataset, result, summary);
        }
        return 0;
    }

    /** curves.png and report.html: the kept model judged on the test set, next to the run's history. */
    private static void writeReport(JavaSparkContext sc, RunFolder run, Dataset dataset, TrainingResult result, Map<String, Object> summary)
            throws java.io.IOException {
        Evaluation evaluation = new Evaluation(sc, result.model(), dataset.test());
        ConfusionMatrix matrix = evaluation.confusion();
        byte[] curves = TrainingCurves.png(result.history());
        ModelFile.writeAtomically(run.dir.resolve(RunFolder.CURVES), curves);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("test accuracy", String.format("%.2f%% (%d of %d)", 100 * matrix.accuracy(), matrix.correct(), matrix.total()));
        facts.put("test loss", String.format("%.4f", matrix.meanLoss()));
        facts.put("network", summary.get("network") + " (" + summary.get("parameters") + " parameters)");
        facts.put("kept epoch", summary.get("best_epoch") + " of " + summary.get("epochs"));
        facts.put("training time", String.format("%.1f s", (Double) summary.get("train_seconds")));
        facts.put("throughput", String.format("%,.0f samples/s (mean over epochs)",
                result.history().stream().mapToDouble(EpochMetrics::samplesPerSecond).average().orElse(0)));
        facts.put("Spark", summary.get("master") + ", " + summary.get("default_parallelism") + " cores, BLAS " + summary.get("blas"));
        facts.put("model", summary.get("model_file") + " (sha256 " + summary.get("model_sha256") + ")");
        @SuppressWarnings("unchecked")
        Map<String, String> config = (Map<String, String>) summary.get("config");
        String html = ReportPage.html("sparkprop training run " + run.dir.getFileName(), facts, config, curves, matrix,
                evaluation.worst(24), DigitImages.side(dataset.width()));
        ModelFile.writeAtomically(run.dir.resolve(RunFolder.REPORT), html.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        System.out.println("report:  " + run.dir.resolve(RunFolder.REPORT));
    }

    /** The master Spark will use: ours when given, else spark-submit's (a system property), else the config's. */
    private String effectiveMaster(TrainConfig cfg) {
        return master != null ? cfg.master() : System.getProperty("spark.master", cfg.master());
    }

    private static Map<String, String> with(Map<String, String> map, String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(map);
        copy.put(key, value);
        return copy;
    }

    /** After each epoch: the metrics line, then the checkpoint, then the console. */
    private record RunRecorder(RunFolder run, TrainConfig config, TrainingListener console) implements TrainingListener {
        @Override
        public void stepFinished(int epoch, int step, int steps, double meanLoss, long examplesSoFar, double secondsSoFar) {
            console.stepFinished(epoch, step, steps, meanLoss, examplesSoFar, secondsSoFar);
        }

        @Override
        public void epochFinished(EpochMetrics metrics, TrainingState state) {
            try {
                run.appendMetrics(metrics);
                // The best model so far is kept on disk as it changes, so a later divergence or crash cannot lose it.
                if (state.bestEpoch == metrics.epoch()) run.saveModel(new Model(config.network(config.layers()[0]), state.bestParams));
                Checkpoint.save(run.dir.resolve(Checkpoint.FILE), config, state);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot write to the run folder " + run.dir, e);
            }
            console.epochFinished(metrics, state);
        }
    }
}
