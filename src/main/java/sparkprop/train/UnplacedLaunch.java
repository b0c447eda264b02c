package sparkprop.train;

/**
 * When to give up a launch of the training stage that Spark cannot place. Spark checks a barrier
 * stage's slots when its job is submitted; an executor lost just after that check (a node killed
 * as an epoch ends) leaves a stage that waits for a slot for ever, and no failure to relaunch on.
 * A launch is given up once none of its tasks has started and Spark has had fewer task slots than
 * its members for longer than the bound; a task started, or the slots back, end the count.
 * Spark-free, so it is tested with scripted clocks ({@code UnplacedLaunchTest}).
 */
final class UnplacedLaunch {
    private final long boundNanos;
    private boolean counting;
    private long since;

    UnplacedLaunch(long boundNanos) {
        this.boundNanos = boundNanos;
    }

    /**
     * Whether to give the launch up at {@code now} (System.nanoTime); {@code slots} is asked for only when no task has
     * started, since counting them walks Spark's executors.
     */
    boolean giveUp(long now, boolean anyTaskStarted, java.util.function.IntSupplier slots, int members) {
        if (anyTaskStarted || slots.getAsInt() >= members) {
            counting = false;
            return false;
        }
        if (!counting) {
            counting = true;
            since = now;
        }
        return now - since > boundNanos;
    }

    /** A new launch: nothing counted yet. */
    void reset() {
        counting = false;
    }
}
