package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GradientSumTest {
    private static float[][] shards(int count, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] g = new float[count][n];
        for (float[] s : g) for (int i = 0; i < n; i++) s[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(8) - 4));
        return g;
    }

    private static float[] mean(GradientSum s, int batch) {
        float[] out = new float[1000];
        s.meanGradient(out, batch);
        return out;
    }

    @Test
    void anyGroupingAndOrderGivesTheSameBits() {
        float[][] g = shards(6, 1000, 1);
        GradientSum inOrder = new GradientSum(1000);
        for (int s = 0; s < 6; s++) inOrder.addShard(g[s], s, 10);

        // Two "tasks" holding {5, 0, 3} and {1, 4, 2}, merged in the opposite order.
        GradientSum a = new GradientSum(1000), b = new GradientSum(1000);
        for (int s : new int[]{5, 0, 3}) a.addShard(g[s], s, 10);
        for (int s : new int[]{1, 4, 2}) b.addShard(g[s], s, 10);
        GradientSum merged = b.merge(a);

        assertArrayEquals(mean(inOrder, 60), mean(merged, 60));
        assertEquals(inOrder.lossSum(), merged.lossSum());
        assertEquals(60, merged.examples());
    }

    @Test
    void isCloseToTheFloatingPointSum() {
        float[][] g = shards(4, 1000, 2);
        GradientSum sum = new GradientSum(1000);
        for (float[] s : g) sum.addShard(s, 0, 1);
        float[] mean = mean(sum, 4);
        for (int i = 0; i < 1000; i++) {
            double exact = ((double) g[0][i] + g[1][i] + g[2][i] + g[3][i]) / 4;
            assertEquals(exact, mean[i], 1e-9 + 1e-6 * Math.abs(exact));
        }
    }

    @Test
    void nanAndHugeValuesMarkDivergenceInsteadOfWrapping() {
        GradientSum sum = new GradientSum(2);
        sum.addShard(new float[]{1f, 2f}, 1, 1);
        assertFalse(sum.diverged());
        GradientSum nan = new GradientSum(2);
        nan.addShard(new float[]{Float.NaN, 0f}, 1, 1);
        assertTrue(nan.diverged());
        GradientSum huge = new GradientSum(2);
        huge.addShard(new float[]{3e9f, 0f}, 1, 1);
        assertTrue(sum.merge(huge).diverged());
    }
}
