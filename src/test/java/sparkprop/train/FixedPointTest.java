package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link FixedPoint#addRounded}'s one-pass rounding gives exactly Math.rint's whole numbers, its fallback takes back what it added, and {@link FixedPoint#setRounded} writes the same. */
class FixedPointTest {
    /** What addRounded must add: round(g·2^32), ties to even, for every value inside the limit. */
    private static long[] reference(float[] values, long[] start) {
        long[] out = start.clone();
        for (int i = 0; i < values.length; i++) if (Math.abs(values[i]) < FixedPoint.LIMIT) out[i] += (long) Math.rint(values[i] * FixedPoint.SCALE);
        return out;
    }

    private static float[] values(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 8) {
                case 0 -> 0f;
                case 1 -> (float) (r.nextGaussian() * 1e-3);
                case 2 -> (float) (r.nextGaussian() * 10);
                case 3 -> (2 * r.nextInt(1000) + 1) * 0x1p-33f * (r.nextBoolean() ? 1 : -1); // ties: an odd number of halves
                case 4 -> Math.nextDown(0x1p19f) * (r.nextBoolean() ? 1 : -1); // the largest the one pass takes
                case 5 -> Float.MIN_VALUE * r.nextInt(100) * (r.nextBoolean() ? 1 : -1); // subnormals
                case 6 -> (float) (r.nextGaussian() * 1e4);
                default -> -0f;
            };
        }
        return v;
    }

    @Test
    void theOnePassEqualsMathRintValueByValue() {
        Random r = new Random(7);
        for (int trial = 0; trial < 20; trial++) {
            float[] v = values(r, 1000 + trial);
            long[] start = new long[v.length];
            for (int i = 0; i < start.length; i++) start[i] = r.nextLong() >> 8;
            long[] into = start.clone();
            assertEquals(true, FixedPoint.addRounded(v, into));
            assertArrayEquals(reference(v, start), into);
        }
    }

    @Test
    void valuesBeyondTheOnePassAreRoundedAloneAndNothingIsAddedTwice() {
        Random r = new Random(11);
        float[] v = values(r, 500);
        v[17] = 0x1p19f; // the one pass's limit: rounded by Math.rint, still inside the sum's limit
        v[18] = -0x1.fffffep19f;
        long[] start = new long[v.length];
        long[] into = start.clone();
        assertEquals(true, FixedPoint.addRounded(v, into));
        assertArrayEquals(reference(v, start), into);

        v[40] = Float.NaN;
        v[41] = 0x1p20f; // at the sum's limit: left out
        v[42] = Float.NEGATIVE_INFINITY;
        into = start.clone();
        assertEquals(false, FixedPoint.addRounded(v, into));
        assertArrayEquals(reference(v, start), into, "the values inside the limit added once, the others left out");
    }

    /** setRounded writes what addRounded adds to zeros, 0 for what it leaves out, whatever {@code into} held. */
    @Test
    void settingEqualsAddingToZeros() {
        Random r = new Random(13);
        for (boolean beyond : new boolean[]{false, true}) {
            float[] v = values(r, 700);
            if (beyond) {
                v[3] = Float.NaN;
                v[4] = 0x1p20f;
                v[5] = 0x1p19f;
            }
            long[] added = new long[v.length];
            boolean addedInRange = FixedPoint.addRounded(v, added);
            long[] set = new long[v.length + 2];
            java.util.Arrays.fill(set, 0x0123_4567_89ABL);
            assertEquals(addedInRange, FixedPoint.setRounded(v, set));
            assertEquals(!beyond, addedInRange);
            assertArrayEquals(added, java.util.Arrays.copyOf(set, v.length));
            assertEquals(0x0123_4567_89ABL, set[v.length], "nothing past the values is written");
        }
    }
}
