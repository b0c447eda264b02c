package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import sparkprop.core.BadInputException;
import sparkprop.core.ModelFileException;
import sparkprop.data.DataException;
import sparkprop.train.TrainingDivergedException;

/** Exit codes: 2 for what the user has to fix, wherever it surfaced; 1, said as internal, for the rest. */
class FailuresTest {
    private static String[] report(Throwable e) {
        StringWriter text = new StringWriter();
        int code = Failures.report(e, new PrintWriter(text));
        return new String[]{Integer.toString(code), text.toString().trim()};
    }

    @Test
    void badInputIsExitCode2WithItsMessageAlone() {
        for (RuntimeException e : new RuntimeException[]{new BadInputException("--epochs 0: expected a positive whole number"),
                new DataException("--epochs 0: expected a positive whole number"), new ModelFileException("--epochs 0: expected a positive whole number"),
                new TrainingDivergedException("--epochs 0: expected a positive whole number")}) {
            String[] r = report(new RuntimeException("wrapper", e));
            assertEquals("2", r[0], e.getClass().getSimpleName());
            assertEquals("error: --epochs 0: expected a positive whole number", r[1]);
        }
    }

    @Test
    void badInputFoundInsideASparkTaskIsExitCode2() {
        SparkException task = new SparkException("Job aborted due to stage failure: Task 0 failed: sparkprop.core.BadInputException: "
                + "the model expects 784 inputs\n\tat sparkprop...");
        String[] r = report(task);
        assertEquals("2", r[0]);
        assertEquals("error: the model expects 784 inputs", r[1]);
    }

    @Test
    void anInternalErrorIsExitCode1AndSaysSo() {
        for (RuntimeException e : new RuntimeException[]{new IllegalArgumentException("a sum of 3 values added to one of 4"),
                new IllegalStateException("broken invariant"), new NullPointerException()}) {
            String[] r = report(e);
            assertEquals("1", r[0], e.toString());
            assertTrue(r[1].startsWith("error: internal error: "), r[1]);
            assertTrue(r[1].contains("details in logs/sparkprop.log"), r[1]);
        }
    }
}
