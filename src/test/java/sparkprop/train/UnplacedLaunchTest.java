package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** When a launch Spark cannot place is given up, on a scripted clock and slot count. */
class UnplacedLaunchTest {
    static final long S = 1_000_000_000L;

    @Test
    void aLaunchWithoutItsSlotsIsGivenUpOnlyAfterTheBound() {
        UnplacedLaunch watch = new UnplacedLaunch(10 * S);
        AtomicInteger slots = new AtomicInteger(1);
        long t0 = 123 * S; // any System.nanoTime, 0 or negative included
        assertFalse(watch.giveUp(t0, false, slots::get, 2), "the count starts");
        assertFalse(watch.giveUp(t0 + 10 * S, false, slots::get, 2), "at the bound, not yet");
        assertTrue(watch.giveUp(t0 + 10 * S + 1, false, slots::get, 2));
        // Counted from the first time the slots fall short, whatever the clock's value.
        UnplacedLaunch fromZero = new UnplacedLaunch(10 * S);
        assertFalse(fromZero.giveUp(-5 * S, false, slots::get, 2));
        assertTrue(fromZero.giveUp(6 * S, false, slots::get, 2));
    }

    @Test
    void aStartedTaskOrTheSlotsBackEndTheCountAndANewLaunchStartsAfresh() {
        UnplacedLaunch watch = new UnplacedLaunch(10 * S);
        AtomicInteger slots = new AtomicInteger(1);
        assertFalse(watch.giveUp(0, false, slots::get, 2));
        slots.set(2); // a replacement executor registered: Spark will place the stage
        assertFalse(watch.giveUp(8 * S, false, slots::get, 2));
        slots.set(1);
        assertFalse(watch.giveUp(9 * S, false, slots::get, 2), "counted again from here");
        assertFalse(watch.giveUp(18 * S, false, slots::get, 2));
        assertFalse(watch.giveUp(30 * S, true, slots::get, 2), "its tasks started: a stage that runs is never given up here");
        assertFalse(watch.giveUp(31 * S, false, slots::get, 2));
        watch.reset();
        assertFalse(watch.giveUp(40 * S, false, slots::get, 2), "a new launch");
        assertFalse(watch.giveUp(49 * S, false, slots::get, 2));
        assertTrue(watch.giveUp(51 * S, false, slots::get, 2));
    }

    @Test
    void theSlotsAreNotCountedOnceATaskHasStarted() {
        UnplacedLaunch watch = new UnplacedLaunch(S);
        assertFalse(watch.giveUp(0, true, () -> {
            throw new AssertionError("counted the slots although a task started");
        }, 2));
    }
}
