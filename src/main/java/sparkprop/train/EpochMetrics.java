package sparkprop.train;

/**
 * What one epoch did; a line of metrics.jsonl. Validation fields are NaN when nothing is held out.
 *
 * <p>Where the epoch's steps spent their time, summed over its steps: {@code gradientSeconds} the
 * driver waited for each step's mean gradient (the tasks' compute, the exchange, and adding the sums),
 * {@code computeSeconds} a task computed its sums (the mean over tasks; NaN where not measured), and
 * {@code updateSeconds} the driver's update. The exchange is what the wait holds beyond the compute.
 * Zero in checkpoints written before they were measured.
 */
public record EpochMetrics(int epoch, double trainLoss, double valLoss, double valAccuracy, double testLoss,
                           double testAccuracy, double epochSeconds, double samplesPerSecond, double learningRate,
                           int steps, double gradientSeconds, double computeSeconds, double updateSeconds) implements java.io.Serializable {
}
