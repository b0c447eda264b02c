package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which model is kept and when a run stops early, without Spark. */
class ModelSelectionTest {
    @Test
    void withValidationTheLowestLossIsKeptAndPatienceCountsEpochsWithoutALowerOne() {
        ModelSelection s = new ModelSelection(true, new float[]{0});
        assertTrue(s.offer(1, 0.5, new float[]{1}));
        assertTrue(s.offer(2, 0.4, new float[]{2}));
        assertFalse(s.offer(3, 0.4, new float[]{3}), "equal is not better");
        assertFalse(s.shouldStop(2));
        assertFalse(s.offer(4, 0.45, new float[]{4}));
        assertTrue(s.shouldStop(2), "two epochs without a lower loss");
        assertFalse(s.shouldStop(0), "patience 0 never stops");
        assertEquals(2, s.bestEpoch());
        assertArrayEquals(new float[]{2}, s.bestParams());
        assertEquals(0.4, s.bestValidationLoss());
        assertTrue(s.offer(5, 0.1, new float[]{5}));
        assertEquals(0, s.epochsWithoutImprovement());
    }

    @Test
    void withoutValidationTheLastEpochWinsAndNothingStopsEarly() {
        ModelSelection s = new ModelSelection(false, new float[]{0});
        for (int epoch = 1; epoch <= 4; epoch++) assertTrue(s.offer(epoch, Double.NaN, new float[]{epoch}));
        assertEquals(4, s.bestEpoch());
        assertArrayEquals(new float[]{4}, s.bestParams());
        assertFalse(s.shouldStop(1));
    }

    @Test
    void theKeptParametersAreACopy() {
        float[] model = {1, 2};
        ModelSelection s = new ModelSelection(false, model);
        s.offer(1, Double.NaN, model);
        model[0] = 9;
        assertArrayEquals(new float[]{1, 2}, s.bestParams());
    }
}
