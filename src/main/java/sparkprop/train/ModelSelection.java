package sparkprop.train;

/**
 * Which epoch's model a run keeps, and when it stops early. With data held out for validation the
 * kept model is the one with the lowest validation loss, and patience counts epochs without a lower
 * one; without validation every epoch replaces the kept model (the last one wins) and the run never
 * stops early. Spark-free; the Spark loop and the plain loop share it.
 */
public final class ModelSelection {
    private final boolean byValidation;
    private final float[] bestParams;
    private int bestEpoch;
    private double bestValidationLoss;
    private int epochsWithoutImprovement;

    /** Nothing kept yet: the starting parameters stand in until the first epoch ends. */
    public ModelSelection(boolean byValidation, float[] startingParams) {
        this(byValidation, startingParams.clone(), 0, Double.POSITIVE_INFINITY, 0);
    }

    ModelSelection(boolean byValidation, float[] bestParams, int bestEpoch, double bestValidationLoss, int epochsWithoutImprovement) {
        this.byValidation = byValidation;
        this.bestParams = bestParams;
        this.bestEpoch = bestEpoch;
        this.bestValidationLoss = bestValidationLoss;
        this.epochsWithoutImprovement = epochsWithoutImprovement;
    }

    /** Offers the model at the end of {@code epoch} (1-based); returns true when it is now the kept one. */
    public boolean offer(int epoch, double validationLoss, float[] model) {
        boolean better = !byValidation || validationLoss < bestValidationLoss;
        if (better) {
            bestEpoch = epoch;
            if (byValidation) bestValidationLoss = validationLoss;
            System.arraycopy(model, 0, bestParams, 0, model.length);
            epochsWithoutImprovement = 0;
        } else {
            epochsWithoutImprovement++;
        }
        return better;
    }

    /** True when {@code patience} (0: never) epochs in a row brought no better model. */
    public boolean shouldStop(int patience) {
        return patience > 0 && epochsWithoutImprovement >= patience;
    }

    public int bestEpoch() {
        return bestEpoch;
    }

    /** The kept parameters (live: copy before changing). */
    public float[] bestParams() {
        return bestParams;
    }

    /** The kept model's validation loss; infinite before the first epoch or without validation. */
    public double bestValidationLoss() {
        return bestValidationLoss;
    }

    public int epochsWithoutImprovement() {
        return epochsWithoutImprovement;
    }

    boolean byValidation() {
        return byValidation;
    }
}
