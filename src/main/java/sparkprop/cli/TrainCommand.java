package sparkprop.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sparkprop.core.BadInputException;
import sparkprop.train.Options;
import sparkprop.train.RunSettings;
import sparkprop.train.TrainConfig;

/**
 * {@code train}: reads the settings (defaults, {@code --config}, the command line, in that order)
 * and hands them to a {@link TrainingRun}. Every option of {@link Options} becomes a command-line
 * option here; the three below are the command's own.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, footer = SparkContexts.UI_HELP,
        description = "Train a fully-connected network with synchronous data-parallel SGD on Spark. "
                + "Defaults come from conf/train.properties; --config FILE and then these options override them.")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file of settings (keys are the option names without dashes).")
    String config;
    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR (any Hadoop path) from its last checkpoint, "
            + "with its hyperparameters (run settings such as --master, --partitions and --stop-after may be given).")
    String resume;
    @Option(names = "--resume-if-exists", description = "Continue the run in --out if it holds a checkpoint of this configuration, start fresh if "
            + "--out is empty or absent, refuse anything else: the same command line serves a first start and a restart (spark-submit --supervise).")
    boolean resumeIfExists;
    @Option(names = "--allow-other-data", description = "With --resume or --resume-if-exists: continue even though --data is not the data the "
            + "checkpoint was trained on (other examples, counts or test split), which is refused otherwise.")
    boolean allowOtherData;
    @Option(names = "--stop-after", paramLabel = "EPOCHS", description = "Stop after this many epochs in all, leaving a checkpoint to --resume.")
    Integer stopAfter;

    /** Adds one option per row of the option table, its help ending with the shipped default. */
    static void addTableOptions(CommandSpec spec) {
        Map<String, String> defaults = Options.defaults();
        for (Options.Option<?> o : Options.ALL) {
            String shipped = defaults.getOrDefault(o.key(), "");
            spec.addOption(OptionSpec.builder("--" + o.key()).paramLabel(o.label()).type(String.class)
                    .description(o.help() + (shipped.isEmpty() ? "" : " Default: " + shipped + ".")).build());
        }
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> given = new LinkedHashMap<>();
        for (String key : Options.keys()) {
            Object value = command.findOption("--" + key).getValue();
            if (value != null) given.put(key, value.toString());
        }
        if (stopAfter != null && stopAfter <= 0) throw new BadInputException("--stop-after " + stopAfter + ": expected a positive number of epochs");
        String explicitMaster = given.get("master");

        TrainingRun run;
        if (resume != null && resumeIfExists) throw new BadInputException("--resume and --resume-if-exists: give one of them");
        if (resume != null) {
            for (String key : given.keySet()) {
                if (Options.get(key).scope() == Options.Scope.MODEL || key.equals("out")) throw resumeTakesNo("--" + key);
            }
            if (config != null) throw resumeTakesNo("--config");
            Map<String, String> givenData = new LinkedHashMap<>(given);
            givenData.keySet().retainAll(RunSettings.DATA_KEYS);
            run = TrainingRun.resume(resume, RunSettings.fromMap(Settings.merge(Map.of(), given)), givenData, explicitMaster, stopAfter);
        } else {
            Map<String, String> fromFile = config == null ? Map.of() : Settings.file(config);
            Map<String, String> settings = Settings.merge(fromFile, given);
            // What the user chose (file or command line) stays; the rest may be fitted to the data (width, size).
            java.util.Set<String> chosen = new java.util.HashSet<>(given.keySet());
            chosen.addAll(fromFile.keySet());
            TrainConfig hyperparameters = TrainConfig.fromMap(settings);
            RunSettings runSettings = RunSettings.fromMap(settings);
            if (resumeIfExists && settings.get("out").contains(RunSettings.TIMESTAMP)) {
                // A restarted driver must find the first attempt's folder: a name made from the start time would differ.
                throw new BadInputException("--resume-if-exists needs --out: a fixed run folder (the default's " + RunSettings.TIMESTAMP
                        + " differs on every start)");
            }
            run = resumeIfExists ? TrainingRun.resumeIfExists(hyperparameters, runSettings, chosen, explicitMaster, stopAfter)
                    : TrainingRun.start(hyperparameters, runSettings, chosen, explicitMaster, stopAfter);
        }
        if (allowOtherData && resume == null && !resumeIfExists) throw new BadInputException("--allow-other-data: only with --resume or --resume-if-exists");
        run.allowOtherData(allowOtherData).execute(System.out);
        return 0;
    }

    private static BadInputException resumeTakesNo(String option) {
        return new BadInputException("--resume takes its hyperparameters from the checkpoint; only --master and --stop-after"
                + " (or --data, --partitions) may be given with it (got " + option + ")");
    }
}
