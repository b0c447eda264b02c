package sparkprop.train;

import java.util.concurrent.TimeUnit;

/**
 * Tells a driver whose JVM did not run (SIGSTOP, a long stop-the-world pause) from tasks that did not answer. A thread
 * of its own looks every {@link #LOOK_MILLIS} ms; a gap of more than half the stall bound between two looks is time the
 * whole driver did not run, its network threads too, so the tasks' reports went unanswered: it counts against no task,
 * and a launch that fails after it blames none (its tasks gave up on the driver, or on a member that waited for the
 * driver). Its own thread, not the loop that waits for steps, because the driver may be stopped anywhere: while it
 * applies a step, writes a checkpoint or submits a launch; and work of the loop's own is no pause, as the watching
 * thread and the network threads go on meanwhile. The rule is Spark-free and takes the clock as an argument, so it is
 * tested on a scripted clock.
 */
final class DriverPauses implements AutoCloseable {
    static final long LOOK_MILLIS = 20;
    private final long boundNanos;
    private long lastLooked;
    private long pausedNanos;
    /** When the last pause was seen to end (Long.MIN_VALUE: none yet). */
    private long lastPauseEnded = Long.MIN_VALUE;
    private long launchedAt = Long.MIN_VALUE;
    /** The paused time already handed out by {@link #newlyPaused}. */
    private long handedOut;
    private volatile boolean closed;

    DriverPauses(long stallNanos, long now) {
        this.boundNanos = stallNanos / 2;
        this.lastLooked = now;
    }

    /** Pauses of this JVM, watched by a daemon thread from now until {@link #close()}. */
    static DriverPauses watching(long stallNanos) {
        DriverPauses pauses = new DriverPauses(stallNanos, System.nanoTime());
        Thread watch = new Thread(() -> {
            while (!pauses.closed) {
                try {
                    TimeUnit.MILLISECONDS.sleep(LOOK_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
                pauses.looked(System.nanoTime());
            }
        }, "sparkprop driver pause watch");
        watch.setDaemon(true);
        watch.start();
        return pauses;
    }

    /** Looks at {@code now} (the watching thread, or any other that runs): a gap beyond the bound since the last look was a pause. */
    synchronized void looked(long now) {
        long gap = now - lastLooked;
        if (gap <= 0) return; // another thread looked later already
        lastLooked = now;
        if (gap <= boundNanos) return;
        pausedNanos += gap;
        lastPauseEnded = now;
    }

    /** All the time this driver did not run so far, so that a waiting loop can leave out what it did not run since it last asked. */
    synchronized long pausedNanos() {
        return pausedNanos;
    }

    /**
     * Looks at {@code now} and returns the time the driver did not run that no earlier call (or launch) has returned,
     * which the waiting loop leaves out of what it holds against the tasks.
     */
    synchronized long newlyPaused(long now) {
        looked(now);
        long paused = pausedNanos - handedOut;
        handedOut = pausedNanos;
        return paused;
    }

    /**
     * A launch was made at {@code now}: its failures are judged afresh, and a pause before it (seen here first, if the
     * watching thread has not yet) is neither this launch's nor handed out.
     */
    synchronized void launched(long now) {
        looked(now);
        launchedAt = now;
        handedOut = pausedNanos;
    }

    /** Whether the driver did not run for a while since the current launch was made. */
    synchronized boolean paused() {
        return lastPauseEnded > launchedAt;
    }

    @Override
    public void close() {
        closed = true;
    }
}
