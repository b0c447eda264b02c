package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AugmentTest {
    /** A 28x28 picture: a filled 8x12 bar left of centre, values in [0, 1]. */
    static float[] bar() {
        float[] x = new float[28 * 28];
        for (int r = 8; r < 20; r++) for (int c = 8; c < 16; c++) x[r * 28 + c] = 1f;
        return x;
    }

    static double[] centreOfMass(float[] x) {
        double m = 0, cx = 0, cy = 0;
        for (int i = 0; i < x.length; i++) {
            m += x[i];
            cx += x[i] * (i % 28);
            cy += x[i] * (i / 28);
        }
        return new double[]{cx / m, cy / m, m};
    }

    @Test
    void valuesThatWouldDestroyTheImagesAreRefusedWithTheirRange() {
        // A blur this narrow underflowed into NaN images; this wide it overflowed an array size.
        for (String spec : new String[]{"elastic-alpha=34,elastic-sigma=1e-200", "elastic-alpha=34,elastic-sigma=1e12"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Augment.parse(spec), spec);
            assertTrue(e.getMessage().contains("expected 0.5 to 1000.0 pixels"), e.getMessage());
        }
        assertEquals("shift=20.0: expected 0 to 14.0 pixels (half the side) for these 28x28 images",
                Augment.parse("shift=20").problemFor(784));
        assertTrue(Augment.parse("elastic-alpha=34,elastic-sigma=40").problemFor(784).startsWith("elastic-sigma=40.0: expected 0.5 to 28"));
        assertTrue(Augment.parse("elastic-alpha=500,elastic-sigma=4").problemFor(784).startsWith("elastic-alpha=500.0: expected 0 to 112"));
        assertTrue(Augment.parse("shift=1").problemFor(5).contains("not a square"));
        assertEquals(null, Augment.parse("shift=14,rotate=180,elastic-alpha=112,elastic-sigma=28").problemFor(784));
        assertEquals(null, Augment.NONE.problemFor(5));
        // What passes leaves finite pixels.
        float[] x = bar();
        Augment.parse("elastic-alpha=112,elastic-sigma=0.5").apply(x, 0, new Augment.Scratch(28), 3);
        for (float v : x) assertTrue(Float.isFinite(v));
    }

    @Test
    void specsParseAndPrintBack() {
        Augment a = Augment.parse("shift=2, rotate=10,elastic-alpha=34,elastic-sigma=4");
        assertEquals(new Augment(2, 10, 0, 0, 34, 4), a);
        assertEquals("shift=2,rotate=10,elastic-alpha=34,elastic-sigma=4", a.spec());
        assertEquals(a, Augment.parse(a.spec()));
        assertEquals(Augment.NONE, Augment.parse("none"));
        assertEquals(Augment.NONE, Augment.parse(""));
        assertFalse(Augment.NONE.active());
        assertEquals("scale=0.1,shear=5.5", Augment.parse("scale=0.1,shear=5.5").spec());
    }

    @Test
    void badSpecsNameTheirPart() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Augment.parse("shfit=2")).getMessage().contains("'shfit=2'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Augment.parse("shift=two")).getMessage().contains("shift=two: not a number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Augment.parse("shift=-1")).getMessage().contains("shift=-1.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Augment.parse("elastic-alpha=34")).getMessage().contains("elastic-sigma"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Augment.parse("shift=1,shift=2")).getMessage().contains("twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Augment.parse("scale=1.5")).getMessage().contains("below 1"));
    }

    @Test
    void theSameSeedGivesTheSameDistortionAndAnotherSeedAnother() {
        Augment a = Augment.parse("shift=2,rotate=15,scale=0.1,shear=10,elastic-alpha=34,elastic-sigma=4");
        Augment.Scratch scratch = new Augment.Scratch(28);
        float[] one = bar(), two = bar(), other = bar();
        a.apply(one, 0, scratch, 42);
        a.apply(two, 0, new Augment.Scratch(28), 42);
        a.apply(other, 0, scratch, 43);
        assertArrayEquals(one, two);
        assertFalse(Arrays.equals(one, other));
        assertFalse(Arrays.equals(one, bar()));
        for (float v : one) assertTrue(v >= 0 && v <= 1.0001f, "interpolation stays within the input's range: " + v);
    }

    @Test
    void shiftsMoveTheDigitWithinTheirRangeAndKeepItsInk() {
        Augment a = Augment.parse("shift=3");
        double[] before = centreOfMass(bar());
        boolean moved = false;
        for (long seed = 0; seed < 50; seed++) {
            float[] x = bar();
            a.apply(x, 0, new Augment.Scratch(28), seed);
            double[] after = centreOfMass(x);
            assertTrue(Math.abs(after[0] - before[0]) <= 3.0001 && Math.abs(after[1] - before[1]) <= 3.0001, Arrays.toString(after));
            assertEquals(before[2], after[2], 1e-3, "a bar well inside the frame keeps all its ink");
            moved |= Math.abs(after[0] - before[0]) > 1;
        }
        assertTrue(moved, "draws cover the range");
    }

    @Test
    void rotationTurnsTheBarAboutTheCentre() {
        // The bar is taller than wide; a rotation near 90 degrees (drawn within +-90) makes it wider than tall for some seeds.
        Augment a = Augment.parse("rotate=90");
        boolean turned = false;
        for (long seed = 0; seed < 40 && !turned; seed++) {
            float[] x = bar();
            a.apply(x, 24 * 0, new Augment.Scratch(28), seed);
            int minC = 28, maxC = -1, minR = 28, maxR = -1;
            for (int i = 0; i < x.length; i++) {
                if (x[i] > 0.5f) {
                    minC = Math.min(minC, i % 28);
                    maxC = Math.max(maxC, i % 28);
                    minR = Math.min(minR, i / 28);
                    maxR = Math.max(maxR, i / 28);
                }
            }
            turned = maxC - minC > maxR - minR + 2;
        }
        assertTrue(turned);
    }

    @Test
    void onlyTheImageAtTheOffsetChanges() {
        float[] two = new float[2 * 784];
        System.arraycopy(bar(), 0, two, 0, 784);
        System.arraycopy(bar(), 0, two, 784, 784);
        Augment.parse("elastic-alpha=34,elastic-sigma=4").apply(two, 784, new Augment.Scratch(28), 7);
        assertArrayEquals(bar(), Arrays.copyOf(two, 784));
        assertFalse(Arrays.equals(bar(), Arrays.copyOfRange(two, 784, 1568)));
    }

    @Test
    void sidesOfSquareImages() {
        assertEquals(28, Augment.side(784));
        assertEquals(32, Augment.side(1024));
        assertEquals(-1, Augment.side(780));
    }
}
