package sparkprop.core;

import java.util.Map;
import java.util.Locale;

/**
 * Turns the mean gradient of a step into a parameter update. Order of use: create one per run
 * with {@link #create}, call {@link #update} once per step on the driver, and save
 * {@link #state()} with checkpoints. State (velocities, moments) lives here, never in layers.
 *
 * <p>Weight decay is L2 on all parameters: g ← g + λθ before the update (for Adam, the decoupled
 * form θ ← θ − lr·λθ of AdamW, since L2 inside Adam's normalisation barely regularises).
 */
public abstract class Optimizer {
    public enum Kind {
        SGD, MOMENTUM, NESTEROV, ADAM;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The arrays of a parameter's length this kind keeps as state ({@link #state()}): velocity, or Adam's two moments. */
        public int stateArrays() {
            return switch (this) {
                case SGD -> 0;
                case MOMENTUM, NESTEROV -> 1;
                case ADAM -> 2;
            };
        }

        public static Kind parse(String name) {
            for (Kind k : values()) if (k.id().equals(name.trim().toLowerCase(Locale.ROOT))) return k;
            throw new BadInputException("unknown optimizer '" + name
                    + "' (expected sgd, momentum, nesterov or adam)");
        }
    }

    protected final float weightDecay;

    protected Optimizer(float weightDecay) {
        this.weightDecay = weightDecay;
    }

    /** The optimizers' hyperparameters, each used by the kinds that have it (Adam's betas and epsilon only by adam). */
    public record Settings(float momentum, float weightDecay, float beta1, float beta2, float epsilon) {
        /** Momentum 0.9, no decay, Adam's usual 0.9, 0.999 and 1e-8. */
        public static final Settings DEFAULTS = new Settings(0.9f, 0f, 0.9f, 0.999f, 1e-8f);

        public Settings withMomentum(float m) {
            return new Settings(m, weightDecay, beta1, beta2, epsilon);
        }

        public Settings withWeightDecay(float decay) {
            return new Settings(momentum, decay, beta1, beta2, epsilon);
        }
    }

    /** A {@code kind} optimizer for {@code n} parameters, its state zeroed. */
    public static Optimizer create(Kind kind, int n, Settings s) {
        return switch (kind) {
            case SGD -> new Sgd(s.weightDecay());
            case MOMENTUM -> new Momentum(n, s.momentum(), s.weightDecay(), false);
            case NESTEROV -> new Momentum(n, s.momentum(), s.weightDecay(), true);
            case ADAM -> new Adam(n, s.beta1(), s.beta2(), s.epsilon(), s.weightDecay());
        };
    }

    /** θ ← θ − update(g); {@code grad} is the mean gradient of the step and may be overwritten. */
    public final void update(float[] params, float[] grad, float learningRate) {
        updateRange(params, grad, learningRate, 0, params.length);
        endStep();
    }

    /**
     * The same update on the parameters [from, to) alone: a step's update may be split into ranges applied by
     * several threads at once (the members of a stage sharing one state), followed by one {@link #endStep}. Every
     * value's update depends on that value alone, so the split never changes a bit.
     */
    public abstract void updateRange(float[] params, float[] grad, float learningRate, int from, int to);

    /** Ends a step whose ranges are all updated (Adam counts its steps here); once per step, after every range. */
    public void endStep() {
    }

    /**
     * The arrays that make up the state, by name (live, not copies: checkpoints read them and load
     * into them in place).
     */
    public abstract Map<String, float[]> state();

    /** Plain SGD: θ ← θ − lr·g. */
    static final class Sgd extends Optimizer {
        Sgd(float weightDecay) {
            super(weightDecay);
        }

        @Override
        public void updateRange(float[] params, float[] grad, float learningRate, int from, int to) {
            for (int i = from; i < to; i++) params[i] -= learningRate * (grad[i] + weightDecay * params[i]);
        }

        @Override
        public Map<String, float[]> state() {
            return Map.of();
        }
    }

    /**
     * Heavy-ball momentum, v ← μv + g, θ ← θ − lr·v; Nesterov looks ahead: θ ← θ − lr·(g + μv).
     * The velocity is in gradient units, so changing the learning rate mid-run (schedules, warm-up)
     * takes effect at once instead of being smeared over 1/(1−μ) steps.
     */
    static final class Momentum extends Optimizer {
        private final float[] velocity;
        private final float momentum;
        private final boolean nesterov;

        Momentum(int n, float momentum, float weightDecay, boolean nesterov) {
            super(weightDecay);
            this.velocity = new float[n];
            this.momentum = momentum;
            this.nesterov = nesterov;
        }

        @Override
        public void updateRange(float[] params, float[] grad, float learningRate, int from, int to) {
            for (int i = from; i < to; i++) {
                float g = grad[i] + weightDecay * params[i];
                float v = momentum * velocity[i] + g;
                velocity[i] = v;
                params[i] -= learningRate * (nesterov ? g + momentum * v : v);
            }
        }

        @Override
        public Map<String, float[]> state() {
            return Map.of("velocity", velocity);
        }
    }

    /** Adam (Kingma & Ba 2015) with bias correction and decoupled weight decay. */
    static final class Adam extends Optimizer {
        private final float[] m;
        private final float[] v;
        private final float[] step = new float[1]; // kept as state so checkpoints carry it
        private final float beta1, beta2, epsilon;

        Adam(int n, float beta1, float beta2, float epsilon, float weightDecay) {
            super(weightDecay);
            this.m = new float[n];
            this.v = new float[n];
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.epsilon = epsilon;
        }

        @Override
        public void updateRange(float[] params, float[] grad, float learningRate, int from, int to) {
            float t = step[0] + 1; // this step's number; endStep counts it once every range is done
            float c1 = (float) (1 - Math.pow(beta1, t));
            float c2 = (float) (1 - Math.pow(beta2, t));
            for (int i = from; i < to; i++) {
                float g = grad[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                float mHat = m[i] / c1, vHat = v[i] / c2;
                params[i] -= learningRate * (mHat / ((float) Math.sqrt(vHat) + epsilon) + weightDecay * params[i]);
            }
        }

        @Override
        public void endStep() {
            step[0] += 1;
        }

        @Override
        public Map<String, float[]> state() {
            return Map.of("m", m, "v", v, "step", step);
        }
    }
}
