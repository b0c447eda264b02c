package sparkprop.train;

/**
 * Training stopped because its Spark jobs were cancelled (the Spark UI's kill link, {@code
 * cancelJobsWithTag}, {@code cancelJobGroup}, ...): nothing is retried and no model is returned.
 */
public final class TrainingCancelledException extends RuntimeException {
    public TrainingCancelledException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether {@code e} (or a cause) is Spark's word that a job was cancelled, as opposed to failing. */
    static boolean isCancellation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TrainingCancelledException || t instanceof java.util.concurrent.CancellationException) return true;
            String m = t.getMessage();
            // Spark 4 says "[SPARK_JOB_CANCELLED] Job 3 cancelled ...", whoever cancelled it (a tag, a group, the UI).
            if (t instanceof org.apache.spark.SparkException && m != null && (m.contains("SPARK_JOB_CANCELLED") || m.matches("(?s).*Job \\d+ cancelled.*"))) {
                return true;
            }
        }
        return false;
    }
}
