package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DriverPausesTest {
    static final long BOUND = TimeUnit.SECONDS.toNanos(10); // the stall bound: a gap over 5 s is a pause
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void aDriverThatLooksEvery50msNeverPaused() {
        DriverPauses pauses = new DriverPauses(BOUND);
        pauses.launched(0);
        for (long t = 50 * MS; t < 60_000 * MS; t += 50 * MS) assertEquals(0, pauses.looked(t));
        assertFalse(pauses.paused());
    }

    @Test
    void aGapBeyondHalfTheBoundIsThePausedTimeAndMarksTheLaunch() {
        DriverPauses pauses = new DriverPauses(BOUND);
        pauses.launched(0);
        assertEquals(0, pauses.looked(50 * MS));
        assertEquals(0, pauses.looked(5_050 * MS), "exactly half the bound is not a pause");
        assertEquals(6_000 * MS, pauses.looked(11_050 * MS));
        assertTrue(pauses.paused());
        assertEquals(0, pauses.looked(11_100 * MS), "the clock goes on from the look after the pause");
        assertTrue(pauses.paused(), "the launch stays marked");
    }

    @Test
    void aRelaunchThatWaitedLongForSlotsIsNoPause() {
        DriverPauses pauses = new DriverPauses(BOUND);
        pauses.launched(0);
        pauses.looked(7_000 * MS); // a pause in the first launch
        assertTrue(pauses.paused());
        // The relaunch waited 30 s for lost task slots to come back, then launched: that wait is the driver's own work.
        pauses.launched(37_000 * MS);
        assertFalse(pauses.paused(), "a new launch is judged afresh");
        assertEquals(0, pauses.looked(37_050 * MS));
        assertFalse(pauses.paused());
    }

    @Test
    void workOfTheDriversOwnBetweenStepsIsNoPause() {
        DriverPauses pauses = new DriverPauses(BOUND);
        pauses.launched(0);
        pauses.looked(50 * MS);
        // A checkpoint written between two steps took 8 s; the driver then waits for the next step.
        pauses.waiting(8_050 * MS);
        assertEquals(0, pauses.looked(8_100 * MS));
        assertFalse(pauses.paused());
    }
}
