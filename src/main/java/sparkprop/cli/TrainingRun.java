package sparkprop.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import sparkprop.core.BadInputException;
import sparkprop.core.Blas;
import sparkprop.core.ConfusionMatrix;
import sparkprop.eval.DigitImages;
import sparkprop.eval.Evaluation;
import sparkprop.eval.ReportPage;
import sparkprop.eval.TrainingCurves;
import sparkprop.storage.Location;
import sparkprop.train.Checkpoint;
import sparkprop.train.DataIdentity;
import sparkprop.train.DataSizeDefaults;
import sparkprop.train.Options;
import sparkprop.train.EpochMetrics;
import sparkprop.train.RunSettings;
import sparkprop.train.Sync;
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
    /** The hyperparameters; for a table, its input width and size join them once it is read, unless the user chose those options. */
    /** The hyperparameters as given (fitted to files' headers); a table's fitting happens in {@link #train}. */
    private final TrainConfig config;
    /** The option keys not to fit to the data: those the user set, or all once fitted to file headers or taken from a checkpoint. */
    private final Set<String> chosen;
    private final RunSettings settings;
    private final String explicitMaster;
    private final RunData data;
    private final RunFolder folder;
    private final TrainingState resumed;
    /** The BLAS kernel the resumed run's checkpoint records (null when fresh, or from before kernels were recorded). */
    private String resumedKernel;
    /** How this run computes sgemm, written into each checkpoint; known once Spark is up. */
    private Checkpoint.Blas blas = Checkpoint.Blas.UNKNOWN;
    /** What identifies the data the resumed checkpoint was trained on (null when fresh, or from before identities were recorded). */
    private DataIdentity resumedIdentity;
    /** The data this run trains on, once cached; its checkpoints record it. */
    private DataIdentity identity;
    private boolean allowOtherData;
    private final int untilEpoch;

    private TrainingRun(TrainConfig config, Set<String> chosen, RunSettings settings, String explicitMaster, RunData data, RunFolder folder,
                        TrainingState resumed, int untilEpoch) {
        this.config = config;
        this.chosen = chosen;
        this.settings = settings;
        this.explicitMaster = explicitMaster;
        this.data = data;
        this.folder = folder;
        this.resumed = resumed;
        this.untilEpoch = untilEpoch;
    }

    /**
     * A new run: checks the config against the data's headers, then creates the run folder.
     *
     * @param chosen         the option keys the user set: the others may be fitted to the data (input width, {@link DataSizeDefaults})
     * @param explicitMaster the command line's --master, which wins over spark-submit's; null if not given
     * @param stopAfter      stop after this many epochs in all (null: the configured number)
     */
    static TrainingRun start(TrainConfig config, RunSettings settings, Set<String> chosen, String explicitMaster, Integer stopAfter)
            throws IOException {
        Configuration hadoop = Location.configuration();
        RunData data = RunData.locate(settings, hadoop);
        Set<String> settled = chosen;
        if (!data.isTable()) {
            config = fitToFiles(config, data, chosen, true);
            settled = Set.copyOf(Options.keys());
        }
        data.check(config);
        Location out = Location.of(settings.out(), hadoop, "--out");
        MasterCheck.reachable(effectiveMaster(settings, explicitMaster));
        return new TrainingRun(config, settled, settings, explicitMaster, data, RunFolder.create(out), null,
                stopAfter == null ? config.epochs() : stopAfter);
    }

    /**
     * Continues the run in {@code dir} from its checkpoint, with its hyperparameters; {@code settings}
     * (master, partitions, data if moved) may differ, since they never change the bits.
     *
     * @param givenData the data settings given on the command line ({@link RunSettings#DATA_KEYS}); the others are the checkpoint's
     */
    static TrainingRun resume(String dir, RunSettings settings, Map<String, String> givenData, String explicitMaster, Integer stopAfter)
            throws IOException {
        Configuration hadoop = Location.configuration();
        Location where = Location.of(dir, hadoop, "--resume");
        if (!where.isDirectory()) throw new BadInputException("--resume " + where + ": no such folder, so no checkpoint here");
        // Checked before RunFolder.existing clears temporary files: a folder that is not a run is left as it was.
        if (RunFolder.contents(where) != RunFolder.Contents.CHECKPOINT) {
            throw new BadInputException("--resume " + where + ": no checkpoint here (is it a run folder?); nothing in it was changed");
        }
        RunFolder folder = RunFolder.existing(where);
        Checkpoint.Loaded loaded = folder.loadCheckpoint(System.out);
        TrainConfig config = loaded.config();
        int done = loaded.state().epochsDone();
        if (stopAfter != null && stopAfter <= done) {
            throw new BadInputException("--stop-after " + stopAfter + ": the run in " + where + " is already past it (" + done + " epochs done)");
        }
        if (isComplete(config, loaded.state())) {
            throw new BadInputException("--resume " + where + ": the run is already complete (" + done + " of " + config.epochs() + " epochs)");
        }
        Map<String, String> dataSettings = new LinkedHashMap<>(loaded.dataSettings());
        dataSettings.putAll(givenData);
        RunSettings run = settings.withData(dataSettings).withOut(where.toString());
        return continued(folder, loaded, run, RunData.locate(run, hadoop), explicitMaster, stopAfter);
    }

    /**
     * {@code train --resume-if-exists}: continues the run in --out when it holds a checkpoint of
     * this configuration (finishing its summary and report if all epochs are done), starts fresh
     * when the folder is empty or absent or holds only the files of a start that never finished
     * an epoch, and refuses anything else without touching it. What a supervised driver that the
     * cluster manager restarts with the same command line needs.
     */
    static TrainingRun resumeIfExists(TrainConfig config, RunSettings settings, Set<String> chosen, String explicitMaster,
                                      Integer stopAfter) throws IOException {
        Configuration hadoop = Location.configuration();
        Location out = Location.of(settings.out(), hadoop, "--out");
        switch (RunFolder.contents(out)) {
            case NOTHING:
                return start(config, settings, chosen, explicitMaster, stopAfter);
            case RUN_WITHOUT_CHECKPOINT:
                System.out.println("--resume-if-exists: " + out + " holds a run that never finished an epoch; starting it again");
                RunFolder.existing(out).deleteIfNoCheckpoint();
                return start(config, settings, chosen, explicitMaster, stopAfter);
            case OTHER:
                throw new BadInputException("--out " + out + ": --resume-if-exists found files that are not a sparkprop run"
                        + " (choose another folder)");
            default:
                break;
        }
        RunFolder folder = RunFolder.existing(out);
        Checkpoint.Loaded loaded = folder.loadCheckpoint(System.out);
        RunData data = RunData.locate(settings, hadoop);
        // A table's width and size are known once Spark reads it: what the user left to them is taken from the checkpoint.
        TrainConfig wanted = config;
        if (!data.isTable()) {
            wanted = fitToFiles(config, data, chosen, false);
        } else {
            if (!chosen.contains("layers")) wanted = wanted.withInputWidth(loaded.config().layers()[0]);
            for (String key : List.of("batch-size", "learning-rate")) {
                if (!chosen.contains(key)) wanted = wanted.with(key, loaded.config().toMap().get(key));
            }
        }
        // --shards auto was resolved against the first attempt's task slots; a restart continues with that number.
        if (wanted.shardsFollowPartitions()) wanted = wanted.with("shards", String.valueOf(loaded.config().shards()));
        List<String> differences = wanted.differencesFrom(loaded.config());
        if (!differences.isEmpty()) {
            throw new BadInputException("--out " + out + ": --resume-if-exists found a run of another configuration ("
                    + String.join("; ", differences) + ")");
        }
        System.out.println("--resume-if-exists: continuing the run in " + out + " after " + position(loaded.state()));
        return continued(folder, loaded, settings.withOut(out.toString()), data, explicitMaster, stopAfter);
    }

    /** A run continued from {@code loaded} in {@code folder}, on {@code data} (already opened, at {@code run.data()}). */
    private static TrainingRun continued(RunFolder folder, Checkpoint.Loaded loaded, RunSettings run, RunData data, String explicitMaster,
                                         Integer stopAfter) {
        TrainConfig config = loaded.config();
        data.check(config);
        MasterCheck.reachable(effectiveMaster(run, explicitMaster));
        int until = stopAfter == null ? config.epochs() : Math.max(stopAfter, loaded.state().epochsDone());
        TrainingRun continued = new TrainingRun(config, Set.copyOf(Options.keys()), run, explicitMaster, data, folder, loaded.state(), until);
        continued.resumedKernel = loaded.blasKernel();
        continued.resumedIdentity = loaded.identity();
        return continued;
    }

    /**
     * A resumed run must continue on the data its checkpoint was trained on: other data (more or fewer examples, other
     * examples, another test split) changes the steps per epoch and what the kept model was chosen on. Refused, naming
     * the difference, unless --allow-other-data; even then a checkpoint within an epoch needs that step to exist.
     */
    private void checkSameData(Trainer trainer, TrainingState state, PrintStream out) {
        if (resumedIdentity == null) return; // a checkpoint from before identities were recorded
        List<String> differences = identity.differencesFrom(resumedIdentity);
        if (differences.isEmpty()) return;
        String what = "the checkpoint in " + folder.dir + " was trained on other data than " + settings.data() + ": " + String.join("; ", differences);
        if (!allowOtherData) throw new BadInputException("--resume: " + what + " (--allow-other-data continues on this data anyway)");
        int stepsDone = state.epochProgress().stepsDone();
        if (stepsDone >= trainer.stepsPerEpoch()) {
            throw new BadInputException("--allow-other-data: the checkpoint is " + stepsDone + " steps into epoch " + (state.epochsDone() + 1)
                    + " and this data has " + trainer.stepsPerEpoch() + " steps an epoch; resume from a checkpoint at an epoch's end");
        }
        out.println("note: " + what + "; continuing on it, as --allow-other-data asks");
    }

    /** Files' width and size come from their headers: the config fitted to them where the user did not choose. */
    private static TrainConfig fitToFiles(TrainConfig config, RunData data, Set<String> chosen, boolean print) {
        DataSizeDefaults.Fitted fitted = DataSizeDefaults.fitTo(config, data.width(), data.trainCount(), chosen);
        if (print && fitted.note() != null) System.out.println(fitted.note());
        return fitted.config();
    }

    /** Where a checkpoint left a run: "epoch 2", or "epoch 2 and step 40 of epoch 3". */
    private static String position(TrainingState state) {
        int steps = state.epochProgress().stepsDone();
        return "epoch " + state.epochsDone() + (steps == 0 ? "" : " and step " + steps + " of epoch " + (state.epochsDone() + 1));
    }

    /** All epochs done, or stopped early by --patience. */
    private static boolean isComplete(TrainConfig config, TrainingState state) {
        return state.epochsDone() >= config.epochs() || state.selection().shouldStop(config.patience());
    }

    /** The master Spark will use: the command line's when given, else spark-submit's (a system property), else the settings'. */
    private static String effectiveMaster(RunSettings settings, String explicitMaster) {
        return explicitMaster != null ? explicitMaster : System.getProperty("spark.master", settings.master());
    }

    /** Lets a resumed run continue on data other than its checkpoint's (--allow-other-data), which is refused otherwise. */
    TrainingRun allowOtherData(boolean allow) {
        this.allowOtherData = allow;
        return this;
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
            // Every job has a description in the Spark UI: the trainer's name their epoch and step; these are the rest.
            sc.setJobDescription("sparkprop train: reading " + settings.data());
            RunData.Loaded opened = data.load(sc, this.config, chosen);
            if (opened.note() != null) out.println(opened.note());
            // What trains: the config fitted to a table once Spark has read it (files were fitted before).
            TrainConfig config = opened.config();
            Trainer trainer = opened.trainer();
            TrainingState state = resumed != null ? resumed : trainer.initialState();
            out.printf("%s %s on %s: %d train / %d test examples, batch %d over %d shards in %d partitions on %s, "
                            + "%d steps/epoch, master %s, BLAS %s (data ready in %.1f s)%n",
                    resumed != null ? "resuming after " + position(state) + ":" : "training", trainer.spec(), settings.data(),
                    opened.trainCount(), opened.testCount(), config.batchSize(), config.shards(), trainer.layout().partitions(),
                    trainer.slots().describe(), trainer.stepsPerEpoch(), sc.master(), Blas.describe(), (System.nanoTime() - started) / 1e9);
            out.println(trainer.trainCache().describe("training data"));
            identity = trainer.dataIdentity();
            if (resumed != null) checkSameData(trainer, state, out);
            blas = new Checkpoint.Blas(SparkContexts.executorKernel(sc), trainer.executorBlas());
            if (resumedKernel != null && !resumedKernel.equals(blas.kernel())) {
                out.println("note: the checkpoint was trained with BLAS kernel " + resumedKernel + " and this run uses " + blas.kernel()
                        + ": it continues correctly, but not bit for bit as the first run would have (docs/reproducibility.md)");
            }
            Sync.Choice sync = trainer.chooseSync(settings.sync());
            if (sync.note() != null) out.println(sync.note());
            String open = trainer.openExchangeWarning(sync.mode());
            if (open != null) out.println(open);
            folder.writeMetrics(state.history()); // a crash after an epoch's metrics but before its checkpoint leaves a line too many
            EpochWriter writer = new EpochWriter(trainer, config, new ConsoleProgress(config.epochs(), out));
            Interruption.at("interrupted before the first step; " + writer.continuation);
            Interruption.install();
            TrainingResult result;
            try {
                result = trainer.run(state, writer, untilEpoch, sync.mode());
            } finally {
                Interruption.at(null);
            }
            boolean complete = isComplete(config, state);
            boolean stoppedEarly = result.stoppedEarly() || state.selection().shouldStop(config.patience());
            String sha = folder.saveModel(result.model());
            EpochMetrics kept = result.history().get(result.bestEpoch() - 1);
            Map<String, String> allSettings = new LinkedHashMap<>(settings.toMap());
            allSettings.putAll(config.toMap());
            RunSummary summary = RunSummary.of(result, complete, stoppedEarly, folder.model().toString(), sha, trainer.spec(),
                    new RunSummary.Where(sc.master(), sc.defaultParallelism(), blas.executors(), trainer.slots().found(),
                            trainer.layout().partitions(), sync.mode().id(), sync.mode() == Sync.STAGE ? trainer.exchange() : null), allSettings);
            folder.writeSummary(summary);
            out.printf("test accuracy %.2f%% (epoch %d of %d%s) in %.1f s of training%n", 100 * kept.testAccuracy(),
                    result.bestEpoch(), result.history().size(), stoppedEarly ? ", stopped early" : "", summary.trainSeconds());
            if (!complete) out.println("stopped after epoch " + state.epochsDone() + " of " + config.epochs() + "; continue with --resume " + folder.dir);
            out.println("model:   " + folder.model());
            out.println("metrics: " + folder.file(RunFolder.METRICS));
            out.println("summary: " + folder.file(RunFolder.SUMMARY));
            sc.setJobDescription("sparkprop train: scoring the kept model on the test set for the report");
            writeReport(new Evaluation(sc, result.model(), trainer.test()), result, summary, opened.width());
            out.println("report:  " + folder.file(RunFolder.REPORT));
            return summary;
        }
    }

    /** curves.png and report.html: the kept model judged on the (already cached) test set, next to the run's history. */
    private void writeReport(Evaluation evaluation, TrainingResult result, RunSummary summary, int width) throws IOException {
        ConfusionMatrix matrix = evaluation.confusion();
        byte[] curves = TrainingCurves.png(result.history());
        folder.file(RunFolder.CURVES).write(curves);
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
        String html = ReportPage.html("sparkprop training run " + folder.dir.name(), facts, summary.config(), curves, matrix,
                evaluation.worst(24), DigitImages.sideOrZero(width));
        folder.file(RunFolder.REPORT).write(html.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * After each epoch: the metrics line, then the kept model if it changed, then the checkpoint,
     * then the console. Within an epoch, with --checkpoint-every N: the checkpoint after every N-th
     * step of the run.
     */
    private final class EpochWriter implements TrainingListener {
        /** Where the run is ("epoch 2, step 40 of 117") and how an interrupted run continues, for Interruption's line. */
        private String continuation;
        private String where;
        private final Trainer trainer;
        private final TrainConfig config;
        private final TrainingListener console;

        EpochWriter(Trainer trainer, TrainConfig config, TrainingListener console) {
            this.trainer = trainer;
            this.config = config;
            this.console = console;
            this.continuation = resumed != null ? "resume with --resume " + folder.dir + ", from the checkpoint after " + position(resumed)
                    : "it had no checkpoint yet: nothing to resume (a checkpoint is written after each epoch, or every --checkpoint-every steps)";
        }

        private void checkpointed(TrainingState state) {
            continuation = "resume with --resume " + folder.dir + ", from the checkpoint after " + position(state);
            if (where != null) Interruption.at("interrupted at " + where + "; " + continuation);
        }

        @Override
        public void stepFinished(int epoch, int step, int steps, double meanLoss, long examplesSoFar, double secondsSoFar) {
            console.stepFinished(epoch, step, steps, meanLoss, examplesSoFar, secondsSoFar);
            where = "epoch " + (epoch + 1) + ", step " + (step + 1) + " of " + steps;
            Interruption.at("interrupted at " + where + "; " + continuation);
        }

        @Override
        public int stateWantedEvery() {
            return settings.checkpointEvery();
        }

        @Override
        public void note(String line) {
            console.note(line);
        }

        @Override
        public void midEpoch(TrainingState state) {
            int every = settings.checkpointEvery();
            long step = (long) state.epochsDone() * trainer.stepsPerEpoch() + state.epochProgress().stepsDone();
            if (every == 0 || step % every != 0) return;
            synchronized (Interruption.WRITING) {
                if (Interruption.happened()) return; // interrupted: the checkpoint the line named is kept as it is
                try {
                    folder.saveCheckpoint(Checkpoint.encode(config, settings.dataMap(), blas, identity, state));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write to the run folder " + folder.dir, e);
                }
                checkpointed(state);
            }
        }

        @Override
        public void epochFinished(EpochMetrics metrics, TrainingState state) {
            synchronized (Interruption.WRITING) {
                if (Interruption.happened()) return; // interrupted: the folder stays as the line said
                writeEpoch(metrics, state);
            }
            console.epochFinished(metrics, state);
        }

        private void writeEpoch(EpochMetrics metrics, TrainingState state) {
            try {
                folder.writeMetrics(state.history());
                // The kept model is on disk as it changes, so a later divergence or crash cannot lose it.
                if (state.selection().bestEpoch() == metrics.epoch()) {
                    folder.saveModel(trainer.model(state.selection().bestParams()));
                }
                folder.saveCheckpoint(Checkpoint.encode(config, settings.dataMap(), blas, identity, state));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to the run folder " + folder.dir, e);
            }
            checkpointed(state);
        }
    }
}
