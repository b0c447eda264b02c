package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Fixtures;

/** Every Spark job the commands run has a description a person understands in the Spark UI. */
class JobDescriptionsTest {
    static final List<String> SEEN = Collections.synchronizedList(new ArrayList<>());

    /** Registered through spark.extraListeners, as a user would add one to any application. */
    public static final class Recorder extends SparkListener {
        @Override
        public void onJobStart(SparkListenerJobStart start) {
            SEEN.add(String.valueOf(start.properties().getProperty("spark.job.description")));
        }
    }

    @TempDir
    Path dir;

    @Test
    void everyJobOfTrainEvaluateAndPredictIsDescribed() throws Exception {
        String data = Fixtures.syntheticMnist(dir.resolve("mnist"), 400, 100, 8, false, 4).toString();
        System.setProperty("spark.extraListeners", Recorder.class.getName());
        try {
            for (String sync : new String[]{"stage", "jobs"}) {
                List<String> jobs = jobsOf("train", "--data", data, "--layers", "64,8,10", "--epochs", "2", "--batch-size", "40", "--validation", "40",
                        "--sync", sync, "--master", "local[2]", "--out", dir.resolve("run-" + sync).toString());
                assertTrue(sync.equals("stage") ? jobs.stream().anyMatch(j -> j.startsWith("sparkprop train: epoch 2/2, its steps in one stage"))
                        : jobs.contains("sparkprop train: epoch 2/2, step 9/9"), jobs.toString());
                assertTrue(jobs.contains("sparkprop train: epoch 1/2, scoring the validation examples"), jobs.toString());
                assertTrue(jobs.contains("sparkprop train: epoch 2/2, scoring the test set"), jobs.toString());
                assertEvery(jobs, "sparkprop train: ");
            }
            String model = dir.resolve("run-stage/model.bin").toString();
            assertEvery(jobsOf("evaluate", "--model", model, "--data", data, "--predictions", "--master", "local[2]", "--out",
                    dir.resolve("eval").toString()), "sparkprop evaluate: scoring " + data);
        } finally {
            System.clearProperty("spark.extraListeners");
        }
    }

    private static List<String> jobsOf(String... command) {
        SEEN.clear();
        CliRun run = CliRun.of(command);
        assertEquals(0, run.exitCode(), run.err());
        return new ArrayList<>(SEEN);
    }

    private static void assertEvery(List<String> jobs, String prefix) {
        assertTrue(jobs.size() > 2, jobs.toString());
        for (String job : jobs) assertTrue(job.startsWith(prefix), "'" + job + "' among " + jobs);
    }
}
