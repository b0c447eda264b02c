package sparkprop.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the application jar: {@code sparkprop <command> [options]}. Exit codes: 0 done,
 * 2 bad input (one line on stderr saying which file or option and why), 1 anything unexpected.
 */
@Command(name = "sparkprop", mixinStandardHelpOptions = true, version = "sparkprop 0.1.0",
        description = "Data-parallel training of fully-connected networks on Spark.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, ExportImagesCommand.class, ExportModelCommand.class,
                GradientCheckCommand.class})
public final class Main {
    public static final int BAD_INPUT = 2;

    public static void main(String[] args) {
        int code = run(args);
        // On YARN in cluster mode this runs inside the application master, which counts any System.exit, exit(0) too, as
        // an attempt that failed ("Shutdown hook called before final status was reported") and would start another:
        // there a success returns, and the application master reports SUCCEEDED.
        if (code == 0 && "yarn".equals(System.getProperty("spark.master")) && "cluster".equals(System.getProperty("spark.submit.deployMode"))) return;
        System.exit(code);
    }

    public static int run(String... args) {
        // Charts and images are drawn off-screen; no display is needed or wanted.
        System.setProperty("java.awt.headless", "true");
        CommandLine cli = new CommandLine(new Main());
        TrainCommand.addTableOptions(cli.getSubcommands().get("train").getCommandSpec());
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("error: " + e.getMessage() + " (see --help)");
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> Failures.report(e, commandLine.getErr()));
        return cli.execute(args);
    }
}
