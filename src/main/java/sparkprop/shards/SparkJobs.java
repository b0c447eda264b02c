package sparkprop.shards;

import java.util.function.Supplier;
import org.apache.spark.SparkContext;

/**
 * What the Spark UI shows for the jobs the product runs: each gets a description a person
 * understands ({@code sparkprop train: epoch 3/8, step 45/117}), set for the jobs {@code work}
 * starts from this thread and then the caller's own description put back, so an application that
 * labels its jobs keeps its label around ours.
 */
public final class SparkJobs {
    /** Spark's local property behind {@link SparkContext#setJobDescription}. */
    private static final String DESCRIPTION = "spark.job.description";

    private SparkJobs() {
    }

    public static <T> T described(SparkContext sc, String description, Supplier<T> work) {
        String callers = sc.getLocalProperty(DESCRIPTION);
        sc.setJobDescription(description);
        try {
            return work.get();
        } finally {
            sc.setLocalProperty(DESCRIPTION, callers);
        }
    }

    public static void described(SparkContext sc, String description, Runnable work) {
        described(sc, description, () -> {
            work.run();
            return null;
        });
    }
}
