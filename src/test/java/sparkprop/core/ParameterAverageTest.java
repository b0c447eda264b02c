package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ParameterAverageTest {
    @Test
    void movesTheAverageTowardTheParametersByOneMinusTheDecay() {
        float[] average = {1f, -2f, 0f};
        ParameterAverage.update(average, new float[]{3f, -2f, 10f}, 0.75f);
        assertArrayEquals(new float[]{1.5f, -2f, 2.5f}, average);
    }

    @Test
    void theDecayRampsUpSoEarlyAveragesForgetTheInitialWeights() {
        assertEquals(0.1f, ParameterAverage.decayAt(0.999, 0));
        assertEquals(0.5f, ParameterAverage.decayAt(0.999, 8));
        assertEquals(0.999f, ParameterAverage.decayAt(0.999, 1_000_000));
        assertEquals(0.05f, ParameterAverage.decayAt(0.05, 0), "never above the configured decay");
    }

    @Test
    void aLongRunOfTheSameParametersConvergesToThem() {
        float[] average = {100f};
        for (int t = 0; t < 5000; t++) ParameterAverage.update(average, new float[]{2f}, ParameterAverage.decayAt(0.99, t));
        assertEquals(2f, average[0], 1e-4);
    }
}
