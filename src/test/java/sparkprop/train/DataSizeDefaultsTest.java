package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class DataSizeDefaultsTest {
    private final TrainConfig defaults = TrainConfig.defaults();

    @Test
    void mnistKeepsTheShippedBatchAndRate() {
        assertEquals(defaults, DataSizeDefaults.fit(defaults, 60000, Set.of()));
        assertNull(DataSizeDefaults.note(defaults, defaults, 60000));
    }

    @Test
    void aSmallSetGetsAtLeastSixtyStepsAnEpochAndTheSquareRootRate() {
        TrainConfig fitted = DataSizeDefaults.fit(defaults, 1934, Set.of());
        assertEquals(32, fitted.batchSize()); // 1934 / 32 = 60 steps; 64 would give 30
        assertEquals(0.1, fitted.learningRate(), 1e-9); // 0.4 x sqrt(32/512)
        assertEquals(defaults.with("batch-size", "32").with("learning-rate", "0.1"), fitted);
        assertTrue(DataSizeDefaults.note(defaults, fitted, 1934).contains("--batch-size 32"));
        assertEquals(256, DataSizeDefaults.fit(defaults, 20000, Set.of()).batchSize());
        assertEquals(512, DataSizeDefaults.fit(defaults, 30720, Set.of()).batchSize());
    }

    @Test
    void whatTheUserChoseStays() {
        assertEquals(defaults, DataSizeDefaults.fit(defaults, 1934, Set.of("batch-size")));
        TrainConfig rateChosen = DataSizeDefaults.fit(defaults, 1934, Set.of("learning-rate"));
        assertEquals(32, rateChosen.batchSize());
        assertEquals(defaults.learningRate(), rateChosen.learningRate());
    }

    @Test
    void theBatchStaysAtLeastTheShardsAndSixteenAndTheHoldOutIsNotTrainedOn() {
        assertEquals(16, DataSizeDefaults.fit(defaults, 100, Set.of()).batchSize());
        assertEquals(32, DataSizeDefaults.fit(defaults.with("shards", "32"), 100, Set.of()).batchSize());
        assertEquals(16, DataSizeDefaults.fit(defaults.with("validation", "1000"), 1934, Set.of()).batchSize());
    }

    /** The one place a config meets its data: width unless layers were chosen, then size, with the line that says so. */
    @org.junit.jupiter.api.Test
    void fitToTakesTheWidthAndTheSizeWhereTheUserDidNotChoose() {
        TrainConfig defaults = TrainConfig.defaults();
        DataSizeDefaults.Fitted small = DataSizeDefaults.fitTo(defaults, 1024, 1934, Set.of());
        assertEquals(1024, small.config().layers()[0]);
        assertEquals(32, small.config().batchSize());
        assertTrue(small.note().startsWith("fitted to 1934 training examples: --batch-size 32"), small.note());
        DataSizeDefaults.Fitted fixed = DataSizeDefaults.fitTo(defaults, 1024, 60000, Set.of("layers"));
        assertEquals(defaults, fixed.config());
        assertNull(fixed.note());
    }
}
