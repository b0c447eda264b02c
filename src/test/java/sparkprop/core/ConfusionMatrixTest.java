package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ConfusionMatrixTest {
    /** 3 classes; truth 0: 3 right, 1 taken for 2; truth 1: 2 right; truth 2: 1 right, 2 taken for 0. */
    private static ConfusionMatrix example() {
        ConfusionMatrix m = new ConfusionMatrix(3);
        for (int i = 0; i < 3; i++) m.add(0, 0);
        m.add(0, 2);
        m.add(1, 1);
        m.add(1, 1);
        m.add(2, 2);
        m.add(2, 0);
        m.add(2, 0);
        m.addLoss(4.5);
        return m;
    }

    @Test
    void metricsFollowFromTheCounts() {
        ConfusionMatrix m = example();
        assertEquals(9, m.total());
        assertEquals(6, m.correct());
        assertEquals(6.0 / 9, m.accuracy(), 1e-12);
        assertEquals(0.5, m.meanLoss(), 1e-12);
        assertEquals(3.0 / 5, m.precision(0), 1e-12); // predicted 0: three right, two wrong
        assertEquals(3.0 / 4, m.recall(0), 1e-12);
        assertEquals(2 * 0.6 * 0.75 / 1.35, m.f1(0), 1e-12);
        assertEquals(1.0, m.precision(1), 1e-12);
        assertEquals(4, m.support(0));
        assertEquals((m.recall(0) * 4 + m.recall(1) * 2 + m.recall(2) * 3) / 9, m.weighted(m::recall), 1e-12);
        assertEquals(m.accuracy(), m.weighted(m::recall), 1e-12, "weighted recall is accuracy");
        assertEquals(new ConfusionMatrix.Confusion(2, 0, 2), m.topConfusions(1).get(0));
    }

    @Test
    void mergingPartitionsAddsCounts() {
        ConfusionMatrix a = example(), b = example();
        a.merge(b);
        assertEquals(18, a.total());
        assertEquals(4, a.count(2, 0));
        assertEquals(0.5, a.meanLoss(), 1e-12);
    }
}
