package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackpropTest {
    private final NetworkSpec spec = NetworkSpec.of(new int[]{12, 8, 5}, Activation.TANH, Loss.CE);

    @Test
    void batchGradientIsTheSumOfPerExampleGradients() {
        SplittableRandom r = new SplittableRandom(3);
        float[] params = new float[spec.parameterCount()];
        Initializer.XAVIER.initialize(spec, params, 7, 0);
        int batch = 6;
        float[] x = new float[12 * batch];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        int[] y = {0, 1, 2, 3, 4, 0};

        float[] batchGrad = new float[params.length];
        double batchLoss = new Backprop(spec).lossAndGradient(params, x, y, batch, batchGrad);

        double[] sum = new double[params.length];
        double lossSum = 0;
        float[] one = new float[params.length];
        for (int j = 0; j < batch; j++) {
            float[] xj = java.util.Arrays.copyOfRange(x, j * 12, (j + 1) * 12);
            lossSum += new Backprop(spec).lossAndGradient(params, xj, new int[]{y[j]}, 1, one);
            for (int i = 0; i < one.length; i++) sum[i] += one[i];
        }
        assertEquals(lossSum, batchLoss, 1e-5);
        for (int i = 0; i < params.length; i++) assertEquals(sum[i], batchGrad[i], 1e-5, "parameter " + i);
    }

    @Test
    void softmaxOutputsAreProbabilities() {
        float[] params = new float[spec.parameterCount()];
        Initializer.HE.initialize(spec, params, 1, 0);
        float[] x = new float[12 * 3];
        java.util.Arrays.fill(x, 0.5f);
        float[] out = new Backprop(spec).forward(params, x, 3);
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int i = 0; i < 5; i++) s += out[j * 5 + i];
            assertEquals(1.0, s, 1e-6);
        }
    }

    @Test
    void reusedWorkspaceGivesTheSameResultForSmallerBatches() {
        float[] params = new float[spec.parameterCount()];
        Initializer.HE.initialize(spec, params, 1, 0);
        float[] x = new float[12 * 4];
        for (int i = 0; i < x.length; i++) x[i] = i / 48f;
        Backprop reused = new Backprop(spec);
        reused.forward(params, x, 4);
        float[] again = reused.forward(params, x, 2).clone();
        float[] fresh = new Backprop(spec).forward(params, x, 2);
        assertArrayEquals(java.util.Arrays.copyOf(fresh, 10), java.util.Arrays.copyOf(again, 10));
    }
}
