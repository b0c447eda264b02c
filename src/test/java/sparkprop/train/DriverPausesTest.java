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
    void aDriverThatLooksEvery20msNeverPaused() {
        DriverPauses pauses = new DriverPauses(BOUND, 0);
        pauses.launched(0);
        for (long t = 20 * MS; t < 60_000 * MS; t += 20 * MS) pauses.looked(t);
        assertFalse(pauses.paused());
        assertEquals(0, pauses.pausedNanos());
    }

    @Test
    void aGapBeyondHalfTheBoundIsPausedTimeAndMarksTheLaunch() {
        DriverPauses pauses = new DriverPauses(BOUND, 0);
        pauses.launched(0);
        pauses.looked(20 * MS);
        pauses.looked(5_020 * MS);
        assertEquals(0, pauses.pausedNanos(), "exactly half the bound is not a pause");
        pauses.looked(11_020 * MS);
        assertEquals(6_000 * MS, pauses.pausedNanos());
        assertTrue(pauses.paused());
        pauses.looked(11_040 * MS);
        assertEquals(6_000 * MS, pauses.pausedNanos(), "the clock goes on from the look after the pause");
        pauses.looked(20_000 * MS);
        assertEquals(14_960 * MS, pauses.pausedNanos(), "pauses add up");
        assertTrue(pauses.paused(), "the launch stays marked");
    }

    @Test
    void aPauseBeforeALaunchIsNotItsOwnEvenWhenTheLaunchSeesItFirst() {
        DriverPauses pauses = new DriverPauses(BOUND, 0);
        pauses.launched(0);
        pauses.looked(7_000 * MS); // a pause in the first launch
        assertTrue(pauses.paused());
        pauses.launched(7_010 * MS);
        assertFalse(pauses.paused(), "a new launch is judged afresh");
        // Stopped while it submitted the next launch: the launch's own look sees the gap before the watching thread does.
        pauses.launched(15_000 * MS);
        assertEquals(14_990 * MS, pauses.pausedNanos());
        assertFalse(pauses.paused(), "the pause ended before the launch was made");
        pauses.looked(15_020 * MS);
        assertFalse(pauses.paused());
    }

    @Test
    void theWaitingLoopIsHandedEachPauseOnceAndNoneFromBeforeItsLaunch() {
        DriverPauses pauses = new DriverPauses(BOUND, 0);
        pauses.looked(9_000 * MS); // a pause before the launch
        pauses.launched(9_010 * MS);
        assertEquals(0, pauses.newlyPaused(9_030 * MS), "a pause before the launch counts against none of its tasks");
        pauses.looked(16_030 * MS); // the watching thread sees a 7 s pause first
        assertEquals(7_000 * MS, pauses.newlyPaused(16_040 * MS));
        assertEquals(0, pauses.newlyPaused(16_060 * MS), "handed out once");
        assertEquals(7_000 * MS, pauses.newlyPaused(23_060 * MS), "a pause the loop sees first is handed out too");
    }

    @Test
    void workOfTheDriversOwnIsNoPauseWhileTheWatchGoesOn() {
        DriverPauses pauses = new DriverPauses(BOUND, 0);
        pauses.launched(0);
        // A checkpoint written between two steps takes 8 s, or a relaunch waits 30 s for lost task slots: the watching
        // thread looks meanwhile, as do the driver's network threads that answer the tasks.
        for (long t = 20 * MS; t <= 30_000 * MS; t += 20 * MS) pauses.looked(t);
        assertFalse(pauses.paused());
        assertEquals(0, pauses.pausedNanos());
    }

    @Test
    void aLookFromAnotherThreadThatReadTheClockEarlierChangesNothing() {
        DriverPauses pauses = new DriverPauses(BOUND, 0);
        pauses.looked(9_000 * MS); // the waiting loop, just after a pause
        pauses.looked(8_990 * MS); // the watching thread, which read the clock before it
        assertEquals(9_000 * MS, pauses.pausedNanos());
        pauses.looked(9_020 * MS);
        assertEquals(9_000 * MS, pauses.pausedNanos());
    }

    @Test
    void theWatchingThreadSeesARunningJvmAsNeverPaused() throws Exception {
        try (DriverPauses pauses = DriverPauses.watching(BOUND)) {
            pauses.launched(System.nanoTime());
            TimeUnit.MILLISECONDS.sleep(200);
            assertFalse(pauses.paused());
            assertEquals(0, pauses.pausedNanos());
        }
    }
}
