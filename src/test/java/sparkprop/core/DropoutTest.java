package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DropoutTest {
    @Test
    void masksKeepTheRightShareScaledSoTheExpectationIsUnchanged() {
        Dropout dropout = new Dropout(0.2f, 0.5f);
        int n = 200_000;
        for (int layer = 0; layer < 3; layer++) {
            float rate = dropout.rateBefore(layer);
            float[] mask = new float[n];
            dropout.fill(mask, n, layer, 123);
            int kept = 0;
            double sum = 0;
            for (float m : mask) {
                assertTrue(m == 0f || m == 1f / (1f - rate), "mask value " + m);
                if (m != 0) kept++;
                sum += m;
            }
            // Binomial: the kept share is within 5 standard deviations of 1 - rate.
            double sd = Math.sqrt(rate * (1 - rate) / n);
            assertEquals(1 - rate, kept / (double) n, 5 * sd, "layer " + layer);
            assertEquals(1.0, sum / n, 5 * sd / (1 - rate), "mean mask, layer " + layer);
        }
    }

    @Test
    void aMaskDependsOnlyOnSeedAndLayer() {
        Dropout dropout = new Dropout(0.5f, 0.5f);
        float[] a = new float[1000], b = new float[1000], otherSeed = new float[1000], otherLayer = new float[1000];
        dropout.fill(a, 1000, 1, 42);
        dropout.fill(b, 1000, 1, 42);
        dropout.fill(otherSeed, 1000, 1, 43);
        dropout.fill(otherLayer, 1000, 2, 42);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, otherSeed));
        assertFalse(Arrays.equals(a, otherLayer));
    }

    @Test
    void predictionIsNotAffected() {
        NetworkSpec spec = NetworkSpec.of(new int[]{5, 4, 3}, Activation.RELU, Loss.CE);
        float[] params = new float[spec.parameterCount()];
        Initializer.HE.initialize(spec, params, 3, 0.01);
        float[] x = {0.1f, 0.5f, 0.9f, 0.3f, 0.7f, 0.2f, 0.4f, 0.6f, 0.8f, 1f};
        int[] labels = {0, 2};
        Backprop backprop = new Backprop(spec);
        float[] before = backprop.forward(params, x, 2).clone();
        backprop.lossAndGradient(params, x, labels, 2, new float[params.length], new Dropout(0.5f, 0.5f), 9);
        assertArrayEquals(before, backprop.forward(params, x, 2));
    }

    @Test
    void ratesOutsideZeroToOneAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(0f, -0.1f));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(Float.NaN, 0f));
    }
}
