package sparkprop.cli;

import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sparkprop.core.BadInputException;
import sparkprop.core.ModelFileException;
import sparkprop.data.DataException;
import sparkprop.train.TrainingDivergedException;

/**
 * Turns an exception into one line for the user and an exit code. Bad input (data, model files,
 * options: the exception types made for it) is exit 2 even when it surfaced inside a Spark task,
 * where it arrives wrapped. Anything else is an internal error, said as such, exit 1. The full
 * trace goes to the log file only.
 */
final class Failures {
    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

    static final int INTERNAL_ERROR = 1;
    /** 128 + SIGINT, what shells report for Ctrl-C. */
    static final int INTERRUPTED = 130;

    private Failures() {
    }

    static int report(Throwable e, PrintWriter err) {
        LOG.error("command failed", e);
        // Interrupted: the line is out, and the JVM ends with the signal's status; Spark's shutdown errors are noise.
        if (Interruption.happened()) return INTERRUPTED;
        Throwable userError = userError(e);
        if (userError != null) {
            err.println("error: " + userError.getMessage());
            err.flush();
            return Main.BAD_INPUT;
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        err.println("error: internal error: " + message + " (details in logs/sparkprop.log)");
        err.flush();
        return INTERNAL_ERROR;
    }

    /** The cause that is the user's to fix, searched through Spark's wrapping; null if none. */
    static Throwable userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DataException || t instanceof ModelFileException || t instanceof BadInputException
                    || t instanceof TrainingDivergedException || t instanceof sparkprop.storage.CannotWriteException) {
                return t;
            }
            if (t.getCause() == t) break;
        }
        // A task failure reaches the driver as a SparkException whose message holds the remote error.
        String text = e.getMessage() == null ? "" : e.getMessage();
        for (String type : new String[]{"DataException: ", "ModelFileException: ", "BadInputException: "}) {
            int at = text.indexOf(type);
            if (at >= 0) {
                String line = text.substring(at + type.length()).lines().findFirst().orElse("");
                return new DataException(line);
            }
        }
        return null;
    }
}
