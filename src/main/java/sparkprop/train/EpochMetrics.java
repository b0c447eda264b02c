package sparkprop.train;

/** What one epoch did; a line of metrics.jsonl. Validation fields are NaN when nothing is held out. */
public record EpochMetrics(int epoch, double trainLoss, double valLoss, double valAccuracy, double testLoss,
                           double testAccuracy, double epochSeconds, double samplesPerSecond, double learningRate,
                           int steps) implements java.io.Serializable {
}
