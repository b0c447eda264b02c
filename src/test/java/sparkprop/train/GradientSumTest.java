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
    void theWireFormIsExact() {
        float[][] g = shards(3, 1000, 3);
        g[0][5] = 0f;
        g[1][7] = -1e6f;
        g[2][9] = 1e-12f;
        GradientSum a = new GradientSum(1000), b = new GradientSum(1000);
        a.addShard(g[0], -3.25, 10);
        a.addShard(g[1], 7.5, 11);
        b.addShard(g[2], 1e4, 12);
        GradientSum direct = new GradientSum(1000).merge(a).merge(b);
        GradientSum wire = PackedSum.decode(PackedSum.merge(PackedSum.encode(a), PackedSum.encode(b)));
        assertArrayEquals(mean(direct, 33), mean(wire, 33));
        assertEquals(direct.lossSum(), wire.lossSum());
        assertEquals(33, wire.examples());
        assertTrue(PackedSum.encode(a).length < 8 * 1000, "smaller than raw longs: " + PackedSum.encode(a).length);
        GradientSum nan = new GradientSum(1000);
        nan.addShard(new float[1000], Double.NaN, 1);
        assertTrue(PackedSum.decode(PackedSum.encode(nan)).diverged());
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

    /** Every width from 0 to 64 bits, full and short last blocks, extreme values: decode(encode(x)) is x. */
    @Test
    void theWireFormRoundTripsAnyValues() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[]{0, 1, 63, 64, 65, 127, 128, 1000, 4099}) {
            long[] values = new long[n];
            for (int i = 0; i < n; i++) {
                int block = i / 64;
                int width = block % 66; // blocks of each width, and some all-zero ones
                long v = width >= 64 ? r.nextLong() : r.nextLong() >> (64 - Math.max(width, 1));
                values[i] = width == 0 ? 0 : (i % 17 == 0 ? Long.MIN_VALUE >> (64 - Math.min(64, width)) : v);
            }
            if (n > 3) {
                values[n - 1] = Long.MAX_VALUE;
                values[n - 2] = Long.MIN_VALUE;
            }
            byte[] wire = PackedSum.encode(values, 0, false, 0);
            assertArrayEquals(values, PackedSum.decode(wire).gradient, "n = " + n);
            GradientSum twice = PackedSum.decode(wire);
            PackedSum.addInto(wire, twice);
            long[] doubled = twice.gradient;
            for (int i = 0; i < n; i++) assertEquals(values[i] * 2, doubled[i], "n = " + n + ", value " + i);
        }
    }

    @Test
    void smallValuesTakeFewBytes() {
        long[] values = new long[64 * 100];
        for (int i = 0; i < values.length; i++) values[i] = (i % 7) - 3; // zigzag: at most 3 bits
        int bytes = PackedSum.encode(values, 0, false, 0).length;
        assertTrue(bytes <= 17 + 100 * (1 + 8 * 3), "3-bit values in " + bytes + " bytes");
        assertEquals(17 + 100, PackedSum.encode(new long[64 * 100], 0, false, 0).length, "zero blocks take one byte each");
    }

    @Test
    void theDriversBlockwiseMeanEqualsDecodingAddingAndDividing() {
        for (int n : new int[]{1, 63, 64, 1000, 64 * 40 + 5, 200_003}) { // the last is split across cores
            float[][] g = shards(5, n, n);
            java.util.Arrays.fill(g[0], 0, Math.min(n, 100), 0f); // all-zero blocks in one part only
            GradientSum a = new GradientSum(n), b = new GradientSum(n), c = new GradientSum(n);
            a.addShard(g[0], 1.5, 7);
            a.addShard(g[1], 2.0, 7);
            b.addShard(g[2], -0.25, 6);
            c.addShard(g[3], 4, 5);
            c.addShard(g[4], 8, 5);
            GradientSum whole = PackedSum.decode(PackedSum.encode(a));
            PackedSum.addInto(PackedSum.encode(b), whole);
            PackedSum.addInto(PackedSum.encode(c), whole);
            float[] expected = new float[n], actual = new float[n];
            whole.meanGradient(expected, 30);
            GradientSum.Totals totals = PackedSum.meanOf(java.util.List.of(PackedSum.encode(a), PackedSum.encode(b), PackedSum.encode(c)), actual, 30);
            assertArrayEquals(expected, actual, "n = " + n);
            assertEquals(whole.lossSum(), totals.lossSum());
            assertEquals(30, totals.examples());
            assertFalse(totals.diverged());
        }
        GradientSum nan = new GradientSum(3);
        nan.addShard(new float[]{0f, 1f, Float.NaN}, 1, 1);
        assertTrue(PackedSum.meanOf(java.util.List.of(PackedSum.encode(nan)), new float[3], 1).diverged());
    }

    @Test
    void clearMakesASumNew() {
        float[][] g = shards(2, 1000, 9);
        GradientSum reused = new GradientSum(1000);
        reused.addShard(g[0], 100, 50);
        reused.addShard(withNaN(), 1, 1);
        reused.clear();
        reused.addShard(g[1], 2, 3);
        GradientSum fresh = new GradientSum(1000);
        fresh.addShard(g[1], 2, 3);
        assertArrayEquals(fresh.gradient, reused.gradient);
        assertEquals(fresh.lossSum(), reused.lossSum());
        assertEquals(3, reused.examples());
        assertFalse(reused.diverged());
    }

    private static float[] withNaN() {
        float[] g = new float[1000];
        g[999] = Float.NaN;
        return g;
    }

    /** A sum written into a step's vector ignores what the vector held, and ends as the ordinary sum with its three totals after it. */
    @Test
    void aSumWrittenIntoAVectorIsTheOrdinarySumWhateverTheVectorHeld() {
        float[][] g = shards(3, 1000, 5);
        g[1][7] = Float.NaN; // the overflow flag must reach the vector too
        GradientSum ordinary = new GradientSum(1000);
        long[] vector = new long[1000 + GradientSum.VECTOR_EXTRA];
        java.util.Arrays.fill(vector, 0x5555_5555_5555L); // last step's totals
        GradientSum written = GradientSum.writingInto(vector);
        for (int s = 0; s < 3; s++) {
            ordinary.addShard(g[s], 0.5 * s, 10 + s);
            written.addShard(g[s], 0.5 * s, 10 + s);
        }
        written.endVector();
        assertArrayEquals(ordinary.gradient, java.util.Arrays.copyOf(vector, 1000));
        assertEquals(ordinary.loss, vector[1000]);
        assertEquals(33, vector[1001]);
        assertEquals(1, vector[1002]);

        long[] none = new long[10 + GradientSum.VECTOR_EXTRA];
        java.util.Arrays.fill(none, -1);
        GradientSum.writingInto(none).endVector(); // a member with no shard this step adds zeros
        assertArrayEquals(new long[10 + GradientSum.VECTOR_EXTRA], none);
    }
}
