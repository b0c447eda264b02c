package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class InitializerTest {
    private final NetworkSpec spec = NetworkSpec.of(new int[]{400, 300, 10}, Activation.RELU, Loss.CE);

    private static double std(float[] p, int from, int n) {
        double s = 0, s2 = 0;
        for (int i = from; i < from + n; i++) {
            s += p[i];
            s2 += (double) p[i] * p[i];
        }
        return Math.sqrt(s2 / n - (s / n) * (s / n));
    }

    @Test
    void heAndXavierScaleWithLayerWidth() {
        float[] p = new float[spec.parameterCount()];
        Initializer.HE.initialize(spec, p, 1, 0);
        assertEquals(Math.sqrt(2.0 / 400), std(p, 0, 400 * 300), 0.002);
        assertEquals(0f, p[spec.biasOffset(0)]);
        Initializer.XAVIER.initialize(spec, p, 1, 0);
        assertEquals(Math.sqrt(2.0 / 700), std(p, 0, 400 * 300), 0.002);
    }

    @Test
    void normalUsesTheGivenStd() {
        float[] p = new float[spec.parameterCount()];
        Initializer.NORMAL.initialize(spec, p, 1, 0.01);
        assertEquals(0.01, std(p, 0, 400 * 300), 0.0005);
    }

    @Test
    void sameSeedSameParametersOtherSeedOthers() {
        float[] a = new float[spec.parameterCount()], b = new float[spec.parameterCount()], c = new float[spec.parameterCount()];
        Initializer.HE.initialize(spec, a, 9, 0);
        Initializer.HE.initialize(spec, b, 9, 0);
        Initializer.HE.initialize(spec, c, 10, 0);
        assertArrayEquals(a, b);
        assertNotEquals(a[0], c[0]);
    }
}
