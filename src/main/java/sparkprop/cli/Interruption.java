package sparkprop.cli;

/**
 * Ctrl-C (SIGINT), or SIGTERM from a cluster manager or {@code kill}, during a run is the user's
 * choice, not an error: the run says in one line where it was and how to continue ("interrupted
 * at epoch 2, step 40 of 117; resume with --resume RUN, from the checkpoint after epoch 1"), the
 * checkpoint is kept as it is (checkpoints are written whole and renamed into place), and the
 * process ends with the signal's usual status (130 for SIGINT). What Spark's own shutdown then
 * throws at the running command is not reported.
 *
 * <p>The line is printed by a hook that runs before Spark's (Hadoop's shutdown hook manager runs
 * hooks by priority, and Spark's, which stops the context, is registered there at 40).
 */
final class Interruption {
    private static final int BEFORE_SPARK = 100;
    private static volatile String whereNow;
    private static volatile boolean happened;
    private static volatile boolean installed;
    /** Held while the run writes its folder after an epoch or step, and by the hook while it decides what to say. */
    static final Object WRITING = new Object();

    private Interruption() {
    }

    /** From now on an interruption prints {@link #at}'s latest line. */
    static synchronized void install() {
        if (installed) return;
        installed = true;
        org.apache.hadoop.util.ShutdownHookManager.get().addShutdownHook(() -> {
            String line;
            // Not while the run writes its folder (it writes under the same lock): the line names what is on disk.
            synchronized (WRITING) {
                if (whereNow == null) return; // a normal exit, or before anything started
                happened = true; // from now on the run writes nothing more (TrainingRun), so the line stays true
                line = whereNow;
            }
            System.out.println();
            System.err.println(line);
            System.err.flush();
        }, BEFORE_SPARK);
    }

    /** What to say if interrupted now; null once the run is over (a shutdown then is a normal exit). */
    static void at(String line) {
        whereNow = line;
    }

    /** Whether the process is ending because it was interrupted (the command's failure is then not reported). */
    static boolean happened() {
        return happened;
    }
}
