package sparkprop.ml;

import java.io.Serializable;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.ml.linalg.Matrix;
import sparkprop.core.ConfusionMatrix;

/**
 * A model judged on a labelled dataset ({@link NeuralNetClassificationModel#evaluate}): accuracy,
 * per-class precision, recall and F1, their support-weighted means, and the confusion matrix
 * (row: true class, column: predicted), as the evaluate command reports them.
 */
public final class NeuralNetEvaluation implements Serializable {
    private final ConfusionMatrix matrix;

    NeuralNetEvaluation(ConfusionMatrix matrix) {
        this.matrix = matrix;
    }

    public long count() {
        return matrix.total();
    }

    public double accuracy() {
        return matrix.accuracy();
    }

    public double precision(int label) {
        return matrix.precision(label);
    }

    public double recall(int label) {
        return matrix.recall(label);
    }

    public double f1(int label) {
        return matrix.f1(label);
    }

    public double weightedPrecision() {
        return matrix.weighted(matrix::precision);
    }

    public double weightedRecall() {
        return matrix.weighted(matrix::recall);
    }

    public double weightedF1() {
        return matrix.weighted(matrix::f1);
    }

    /** Counts: row i, column j holds the examples of class i predicted as j. */
    public Matrix confusionMatrix() {
        int k = matrix.classes();
        double[] values = new double[k * k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) values[i + j * k] = matrix.count(i, j); // column-major
        return new DenseMatrix(k, k, values);
    }
}
