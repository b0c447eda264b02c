package sparkprop.train;

/**
 * Tells a driver that did not run (its JVM stopped, a long pause) from tasks that did not answer. The driver's waiting
 * loop looks about every 50 ms, so a gap of more than half the stall bound between two looks is time the driver itself
 * did not run: it counts against no task, and a launch that fails after it blames none (its tasks gave up on the
 * driver, or on a member that waited for the driver). Spark-free, so it is tested on a scripted clock.
 */
final class DriverPauses {
    private final long boundNanos;
    private long lastLooked;
    private boolean paused;

    DriverPauses(long stallNanos) {
        this.boundNanos = stallNanos / 2;
    }

    /** The driver starts waiting at {@code now} (for a step, after work of its own): nothing before counts as a pause. */
    void waiting(long now) {
        lastLooked = now;
    }

    /** A launch was made at {@code now} (however long choosing its members took): its failures are judged afresh. */
    void launched(long now) {
        lastLooked = now;
        paused = false;
    }

    /** The driver looks at {@code now}; returns how long it did not run before, or 0 if the gap is within the bound. */
    long looked(long now) {
        long gap = now - lastLooked;
        lastLooked = now;
        if (gap <= boundNanos) return 0;
        paused = true;
        return gap;
    }

    /** Whether the driver did not run for a while since the current launch was made. */
    boolean paused() {
        return paused;
    }
}
