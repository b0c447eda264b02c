package sparkprop.shards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardSamplerTest {
    @Test
    void shardsCoverTheDataOnceAndPartitionsHoldWholeShards() {
        ShardLayout layout = new ShardLayout(103, 8, 3);
        int covered = 0;
        for (int s = 0; s < 8; s++) {
            assertEquals(covered, layout.shardStart(s));
            covered += layout.shardSize(s);
        }
        assertEquals(103, covered);
        assertEquals(0, layout.firstShard(0));
        assertEquals(8, layout.endShard(2));
        for (int s = 0; s < 8; s++) {
            int p = layout.partitionOf(s);
            assertFalse(s < layout.firstShard(p) || s >= layout.endShard(p));
        }
        int batch = 0;
        for (int s = 0; s < 8; s++) batch += layout.share(37, s);
        assertEquals(37, batch);
    }

    @Test
    void moreShardsThanExamplesIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ShardLayout(5, 6, 1));
    }

    @Test
    void validationAndTrainingSplitAShardWithoutOverlap() {
        int[] held = ShardSampler.validation(7, 2, 50, 12);
        int[] train = ShardSampler.training(7, 2, 50, 12);
        Set<Integer> all = new HashSet<>();
        for (int i : held) all.add(i);
        for (int i : train) all.add(i);
        assertEquals(12, held.length);
        assertEquals(38, train.length);
        assertEquals(50, all.size());
        assertArrayEquals(held, ShardSampler.validation(7, 2, 50, 12), "a function of (seed, shard) only");
    }

    @Test
    void anEpochVisitsEachTrainingExampleOnceInAnOrderOfItsOwn() {
        int[] train = ShardSampler.training(1, 0, 40, 0);
        int[] e0 = ShardSampler.epochOrder(1, 0, 0, train);
        int[] e1 = ShardSampler.epochOrder(1, 1, 0, train);
        assertEquals(40, new HashSet<>(java.util.Arrays.stream(e0).boxed().toList()).size());
        assertFalse(java.util.Arrays.equals(e0, e1));
        assertArrayEquals(e0, ShardSampler.epochOrder(1, 0, 0, train));
    }

    @Test
    void stepsPerEpochLetEveryShardGiveItsShare() {
        ShardLayout layout = new ShardLayout(100, 4, 2); // 25 per shard
        assertEquals(3, ShardSampler.stepsPerEpoch(layout, 32, 0)); // 8 per shard per step
        assertEquals(2, ShardSampler.stepsPerEpoch(layout, 32, 20)); // 20 per shard left
    }
}
