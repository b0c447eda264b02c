package sparkprop.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import sparkprop.core.BadInputException;
import sparkprop.core.Blas;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.data.Dataset;
import sparkprop.eval.ConfusionMatrix;
import sparkprop.eval.DigitImages;
import sparkprop.eval.Evaluation;
import sparkprop.eval.ReportPage;
import sparkprop.eval.TrainingCurves;
import sparkprop.train.Checkpoint;
import sparkprop.train.EpochMetrics;
import sparkprop.train.RunSettings;
import sparkprop.train.TrainConfig;
import sparkprop.train.Trainer;
import sparkprop.train.TrainingListener;
import sparkprop.train.TrainingResult;
import sparkprop.train.TrainingState;

/**
 * One training run and its folder, from start or resume to the summary and report. Everything that
 * can be checked without Spark (settings, the data's headers, the master, the folder) is checked
 * when the run is made, before anything is written; {@link #execute} then trains, writing after
 * each epoch the metrics line, the kept model and the checkpoint, and at the end the summary,
 * curves and report.
 */
final class TrainingRun {
    private final TrainConfig config;
    private final RunSettings settings;
    private final String explicitMaster;
    private final Dataset dataset;
    private final RunFolder folder;
    private final TrainingState resumed;
    private final int untilEpoch;

    private TrainingRun(TrainConfig config, RunSettings settings, String explicitMaster, Dataset dataset, RunFolder folder,
                        TrainingState resumed, int untilEpoch) {
        this.config = config;
        this.settings = settings;
        this.explicitMaster = explicitMaster;
        this.dataset = dataset;
        this.folder = folder;
        this.resumed = resumed;
        this.untilEpoch = untilEpoch;
    }

    /**
     * A new run: checks the config against the data's headers, then creates the run folder.
     *
     * @param layersGiven    false to take the input width from the data
     * @param explicitMaster the command line's --master, which wins over spark-submit's; null if not given
     * @param stopAfter      stop after this many epochs in all (null: the configured number)
     */
    static TrainingRun start(TrainConfig config, RunSettings settings, boolean layersGiven, String explicitMaster, Integer stopAfter)
            throws IOException {
        Dataset dataset = Dataset.open(settings.data(), new Configuration());
        if (!layersGiven) config = config.withInputWidth(dataset.width());
        Trainer.check(dataset, config);
        MasterCheck.reachable(effectiveMaster(settings, explicitMaster));
        return new TrainingRun(config, settings, explicitMaster, dataset, RunFolder.create(Path.of(settings.out())), null,
                stopAfter == null ? config.epochs() : stopAfter);
    }

    /**
     * Continues the run in {@code dir} from its checkpoint, with its hyperparameters; {@code settings}
     * (master, partitions, data if moved) may differ, since they never change the bits.
     */
    static TrainingRun resume(Path dir, RunSettings settings, boolean dataGiven, String explicitMaster, Integer stopAfter) throws IOException {
        Checkpoint.Loaded loaded = Checkpoint.load(dir.resolve(Checkpoint.FILE));
        TrainConfig config = loaded.config();
        int done = loaded.state().epochsDone();
        if (stopAfter != null && stopAfter <= done) {
            throw new BadInputException("--stop-after " + stopAfter + ": the run in " + dir + " is already past it (" + done + " epochs done)");
        }
        if (done >= config.epochs() || loaded.state().selection().shouldStop(config.patience())) {
            throw new BadInputException("--resume " + dir + ": the run is already complete (" + done + " of " + config.epochs() + " epochs)");
        }
        RunSettings run = new RunSettings(dataGiven ? settings.data() : loaded.data(), settings.master(), dir.toString(), settings.partitions());
        Dataset dataset = Dataset.open(run.data(), new Configuration());
        Trainer.check(dataset, config);
        MasterCheck.reachable(effectiveMaster(run, explicitMaster));
        RunFolder folder = new RunFolder(dir);
        folder.removeLeftoverTemporaryFiles();
        return new TrainingRun(config, run, explicitMaster, dataset, folder, loaded.state(), stopAfter == null ? config.epochs() : stopAfter);
    }

    /** The master Spark will use: the command line's when given, else spark-submit's (a system property), else the settings'. */
    private static String effectiveMaster(RunSettings settings, String explicitMaster) {
        return explicitMaster != null ? explicitMaster : System.getProperty("spark.master", settings.master());
    }

    /** Trains, prints progress and result lines to {@code out}, and leaves the folder complete. */
    RunSummary execute(PrintStream out) throws Exception {
        try {
            return train(out);
        } catch (Exception | Error e) { // Spark task failures arrive as a checked SparkException
            // A run that fails before its first checkpoint leaves nothing worth keeping.
            if (resumed == null) folder.deleteIfNoCheckpoint();
            throw e;
        }
    }

    private RunSummary train(PrintStream out) throws Exception {
        try (JavaSparkContext sc = SparkContexts.start("sparkprop train", explicitMaster, settings.master())) {
            long started = System.nanoTime();
            Trainer trainer = new Trainer(sc, dataset, config, settings.partitions());
            TrainingState state = resumed != null ? resumed : trainer.initialState();
            out.printf("%s %s on %s: %d train / %d test examples, batch %d over %d shards in %d partitions, "
                            + "%d steps/epoch, master %s, BLAS %s (data ready in %.1f s)%n",
                    resumed != null ? "resuming after epoch " + state.epochsDone() + ":" : "training", trainer.spec(), settings.data(),
                    dataset.train().count(), dataset.test().count(), config.batchSize(), config.shards(), trainer.layout().partitions(),
                    trainer.stepsPerEpoch(), sc.master(), Blas.backend(), (System.nanoTime() - started) / 1e9);
            folder.rewriteMetrics(state.history()); // a crash after an epoch's metrics line but before its checkpoint leaves a line too many
            TrainingResult result = trainer.run(state, new EpochWriter(new ConsoleProgress(config.epochs(), out)), untilEpoch);
            boolean complete = result.stoppedEarly() || state.epochsDone() >= config.epochs();
            String sha = folder.saveModel(result.model());
            EpochMetrics kept = result.history().get(result.bestEpoch() - 1);
            Map<String, String> allSettings = new LinkedHashMap<>(settings.toMap());
            allSettings.putAll(config.toMap());
            RunSummary summary = new RunSummary(kept.testAccuracy(), kept.testLoss(), result.history().size(), result.bestEpoch(),
                    Double.isNaN(kept.valLoss()) ? null : kept.valLoss(), complete, result.stoppedEarly(),
                    result.history().stream().mapToDouble(EpochMetrics::epochSeconds).sum(), folder.model().toAbsolutePath().toString(), sha,
                    trainer.spec().toString(), trainer.spec().parameterCount(), sc.master(), sc.defaultParallelism(), Blas.backend(), allSettings);
            folder.writeSummary(summary);
            out.printf("test accuracy %.2f%% (epoch %d of %d%s) in %.1f s of training%n", 100 * kept.testAccuracy(),
                    result.bestEpoch(), result.history().size(), result.stoppedEarly() ? ", stopped early" : "", summary.trainSeconds());
            if (!complete) out.println("stopped after epoch " + state.epochsDone() + " of " + config.epochs() + "; continue with --resume " + folder.dir);
            out.println("model:   " + folder.model());
            out.println("metrics: " + folder.dir.resolve(RunFolder.METRICS));
            out.println("summary: " + folder.dir.resolve(RunFolder.SUMMARY));
            writeReport(new Evaluation(sc, result.model(), trainer.test()), result, summary);
            out.println("report:  " + folder.dir.resolve(RunFolder.REPORT));
            return summary;
        }
    }

    /** curves.png and report.html: the kept model judged on the (already cached) test set, next to the run's history. */
    private void writeReport(Evaluation evaluation, TrainingResult result, RunSummary summary) throws IOException {
        ConfusionMatrix matrix = evaluation.confusion();
        byte[] curves = TrainingCurves.png(result.history());
        ModelFile.writeAtomically(folder.dir.resolve(RunFolder.CURVES), curves);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("test accuracy", String.format("%.2f%% (%d of %d)", 100 * matrix.accuracy(), matrix.correct(), matrix.total()));
        facts.put("test loss", String.format("%.4f", matrix.meanLoss()));
        facts.put("network", summary.network() + " (" + summary.parameters() + " parameters)");
        facts.put("kept epoch", summary.bestEpoch() + " of " + summary.epochs());
        facts.put("training time", String.format("%.1f s", summary.trainSeconds()));
        facts.put("throughput", String.format("%,.0f samples/s (mean over epochs)",
                result.history().stream().mapToDouble(EpochMetrics::samplesPerSecond).average().orElse(0)));
        facts.put("Spark", summary.master() + ", " + summary.defaultParallelism() + " cores, BLAS " + summary.blas());
        facts.put("model", summary.modelFile() + " (sha256 " + summary.modelSha256() + ")");
        String html = ReportPage.html("sparkprop training run " + folder.dir.getFileName(), facts, summary.config(), curves, matrix,
                evaluation.worst(24), DigitImages.side(dataset.width()));
        ModelFile.writeAtomically(folder.dir.resolve(RunFolder.REPORT), html.getBytes(StandardCharsets.UTF_8));
    }

    /** After each epoch: the metrics line, then the kept model if it changed, then the checkpoint, then the console. */
    private final class EpochWriter implements TrainingListener {
        private final TrainingListener console;

        EpochWriter(TrainingListener console) {
            this.console = console;
        }

        @Override
        public void stepFinished(int epoch, int step, int steps, double meanLoss, long examplesSoFar, double secondsSoFar) {
            console.stepFinished(epoch, step, steps, meanLoss, examplesSoFar, secondsSoFar);
        }

        @Override
        public void epochFinished(EpochMetrics metrics, TrainingState state) {
            try {
                folder.appendMetrics(metrics);
                // The kept model is on disk as it changes, so a later divergence or crash cannot lose it.
                if (state.selection().bestEpoch() == metrics.epoch()) {
                    folder.saveModel(new Model(config.network(config.layers()[0]), state.selection().bestParams()));
                }
                Checkpoint.save(folder.dir.resolve(Checkpoint.FILE), config, settings.data(), state);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to the run folder " + folder.dir, e);
            }
            console.epochFinished(metrics, state);
        }
    }
}
