package sparkprop.train;

import java.util.Locale;

/**
 * How a run's steps reach the executors. Never changes the result: every mode computes the same
 * exact per-shard sums and the same update.
 */
public enum Sync {
    /** The stage where it can run, else a job per step. */
    AUTO,
    /** One gang-scheduled (barrier) Spark stage per epoch whose tasks run every step, adding their sums around a ring of the tasks ({@link StageGradients}). */
    STAGE,
    /** A Spark job per step: broadcast the parameters, collect the sums. */
    JOBS;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Sync parse(String s) {
        for (Sync m : values()) if (m.id().equals(s.trim().toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("'" + s.trim() + "': expected auto, stage or jobs");
    }

    /** The mode a run uses and, when it is not the one asked for, the console line that says why. */
    public record Choice(Sync mode, String note) {
    }
}
