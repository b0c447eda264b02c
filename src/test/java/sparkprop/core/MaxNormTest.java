package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

public class MaxNormTest {
    /** Norm of unit o's incoming weights in layer l (W is (out, in) column-major). */
    public static double norm(NetworkSpec spec, float[] params, int l, int o) {
        double s = 0;
        for (int i = 0; i < spec.in(l); i++) {
            double w = params[spec.weightOffset(l) + o + i * spec.out(l)];
            s += w * w;
        }
        return Math.sqrt(s);
    }

    @Test
    void unitsOverTheLimitAreScaledOntoItAndTheOthersAndBiasesAreUntouched() {
        NetworkSpec spec = NetworkSpec.of(new int[]{20, 6, 4}, Activation.RELU, Loss.CE);
        float[] params = new float[spec.parameterCount()];
        Initializer.NORMAL.initialize(spec, params, 5, 0.5); // norms around 0.5*sqrt(20) = 2.2 and 0.5*sqrt(6) = 1.2
        float[] before = params.clone();
        float limit = 1.5f;
        MaxNorm.apply(spec, params, limit);
        int scaled = 0, kept = 0;
        for (int l = 0; l < spec.layerCount(); l++) {
            for (int o = 0; o < spec.out(l); o++) {
                double was = norm(spec, before, l, o), now = norm(spec, params, l, o);
                if (was > limit) {
                    assertEquals(limit, now, 1e-5, "layer " + l + " unit " + o);
                    // Scaled, not clipped: the direction is kept.
                    int first = spec.weightOffset(l) + o;
                    assertEquals(before[first] / was, params[first] / now, 1e-6);
                    scaled++;
                } else {
                    assertEquals(was, now, 0, "layer " + l + " unit " + o);
                    kept++;
                }
            }
            for (int o = 0; o < spec.out(l); o++) assertEquals(before[spec.biasOffset(l) + o], params[spec.biasOffset(l) + o]);
        }
        assertTrue(scaled > 0 && kept > 0, "the fixture has units on both sides of the limit: " + scaled + " scaled, " + kept + " kept");
    }
}
