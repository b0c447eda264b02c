package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import sparkprop.core.BadInputException;
import sparkprop.core.NetworkSpec;

class MemoryNeedTest {
    private static final long GB = 1_000_000_000L;

    /** 100-1000-10: 111,010 parameters. */
    private static NetworkSpec spec(TrainConfig config) {
        return config.network(100);
    }

    @Test
    void theNeedCountsTheStateArraysOfTheOptimizerAndTheAverage() {
        TrainConfig momentum = TestConfigs.with("layers", "100,1000,10");
        TrainConfig adamEma = TestConfigs.with("layers", "100,1000,10", "optimizer", "adam", "ema", "0.99");
        TrainConfig sgd = TestConfigs.with("layers", "100,1000,10", "optimizer", "sgd");
        long p = 111_010;
        assertEquals(p, spec(momentum).parameterCount());
        // state (params + velocity), one encoded copy of it, the mean gradient
        assertEquals(4 * p * 5, MemoryNeed.driverBytes(spec(momentum), momentum));
        assertEquals(4 * p * 9, MemoryNeed.driverBytes(spec(adamEma), adamEma));
        assertEquals(4 * p * 3, MemoryNeed.driverBytes(spec(sgd), sgd));
        // a task also holds the whole-number sums, 8 bytes a value
        assertEquals(4 * p * 5 + 8 * p, MemoryNeed.taskBytes(spec(momentum), momentum));
    }

    @Test
    void eachOptimizerKindCountsTheArraysItsStateHolds() {
        for (sparkprop.core.Optimizer.Kind kind : sparkprop.core.Optimizer.Kind.values()) {
            // Arrays of the parameters' length (Adam's step counter is one value, not one a parameter).
            long ofParameterLength = sparkprop.core.Optimizer.create(kind, 3, sparkprop.core.Optimizer.Settings.DEFAULTS).state().values().stream()
                    .filter(a -> a.length == 3).count();
            assertEquals(ofParameterLength, kind.stateArrays(), kind.id());
        }
    }

    @Test
    void aDriverTooSmallIsRefusedNamingItsSetting() {
        TrainConfig config = TestConfigs.with("layers", "784,30000,30000,10");
        NetworkSpec spec = config.network(784);
        BadInputException e = assertThrows(BadInputException.class, () -> MemoryNeed.check(spec, config, 6 * GB, 0, 0, 1));
        assertTrue(e.getMessage().startsWith("--layers 784-30000-30000-10: its 923,880,010 parameters need at least 18.5 GB of the driver's heap, which has 6.0 GB"),
                e.getMessage());
        assertTrue(e.getMessage().contains("spark.driver.memory"), e.getMessage());
        assertDoesNotThrow(() -> MemoryNeed.check(spec, config, 20 * GB, 0, 0, 1));
        // in local mode the tasks' arrays are in the driver's heap too
        assertThrows(BadInputException.class, () -> MemoryNeed.check(spec, config, 20 * GB, 1, 0, 1));
    }

    @Test
    void anExecutorTooSmallForItsTasksIsRefusedNamingItsSetting() {
        TrainConfig config = TestConfigs.with("layers", "784,4000,4000,10");
        NetworkSpec spec = config.network(784);
        long task = MemoryNeed.taskBytes(spec, config);
        long heap = 2 * task + MemoryNeed.SPARK_RESERVED;
        assertDoesNotThrow(() -> MemoryNeed.check(spec, config, 100 * GB, 0, heap, 2));
        BadInputException e = assertThrows(BadInputException.class, () -> MemoryNeed.check(spec, config, 100 * GB, 0, heap, 3));
        assertTrue(e.getMessage().contains("of each executor's heap for its 3 tasks") && e.getMessage().contains("spark.executor.memory"), e.getMessage());
    }
}
