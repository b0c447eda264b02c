package sparkprop.core;

import java.util.Locale;

/**
 * The learning rate at each global step (counted from 0): an optional linear warm-up from
 * base/warmupSteps to base, then constant, step decay (×gamma every {@code decayEvery} steps) or
 * a cosine from base to 0 over the remaining steps.
 */
public record LearningRateSchedule(Kind kind, double base, long totalSteps, long warmupSteps,
                                   long decayEvery, double gamma) implements java.io.Serializable {
    public enum Kind {
        CONSTANT, STEP, COSINE;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind parse(String name) {
            for (Kind k : values()) if (k.id().equals(name.trim().toLowerCase(Locale.ROOT))) return k;
            throw new BadInputException("unknown schedule '" + name + "' (expected constant, step or cosine)");
        }
    }

    public float rate(long step) {
        if (step < warmupSteps) return (float) (base * (step + 1) / warmupSteps);
        long t = step - warmupSteps;
        long span = Math.max(1, totalSteps - warmupSteps);
        return (float) switch (kind) {
            case CONSTANT -> base;
            case STEP -> base * Math.pow(gamma, decayEvery <= 0 ? 0 : t / decayEvery);
            case COSINE -> base * 0.5 * (1 + Math.cos(Math.PI * Math.min(t, span) / span));
        };
    }
}
