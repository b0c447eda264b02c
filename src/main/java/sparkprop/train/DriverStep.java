package sparkprop.train;

import sparkprop.core.LearningRateSchedule;
import sparkprop.core.MaxNorm;
import sparkprop.core.NetworkSpec;
import sparkprop.core.Optimizer;
import sparkprop.core.ParameterAverage;

/**
 * What the driver does with a step's mean gradient, in order: the scheduled learning rate, the
 * optimizer's update, the max-norm constraint, the moving average. Spark-free, and shared by the
 * Spark loop, the plain loop and the members of a ring (each on its replica), which must end in
 * the same bits. (The name is older than the ring: in a star, a job per step and the plain loop the
 * driver applies it.)
 */
public record DriverStep(TrainConfig config, NetworkSpec spec, LearningRateSchedule schedule) {
    public DriverStep(TrainConfig config, NetworkSpec spec, int stepsPerEpoch) {
        this(config, spec, config.learningRateSchedule(stepsPerEpoch));
    }

    /** Applies step {@code globalStep} (counted from 0 over the whole run) to the state; returns the learning rate used. */
    public float apply(TrainingState state, long globalStep, float[] gradient) {
        return apply(state.params(), state.optimizer(), state.average(), globalStep, gradient);
    }

    /** The same on the parts of a state: what a ring's member does to its replica ({@link Replica}). */
    public float apply(float[] params, Optimizer optimizer, float[] average, long globalStep, float[] gradient) {
        float rate = applyRange(params, optimizer, average, globalStep, gradient, 0, params.length);
        finish(params, optimizer, average, globalStep);
        return rate;
    }

    /**
     * {@link #apply} split for threads that share one state (a shared stage's members): each applies the step to its
     * range [from, to) of the parameters, and once all are done one of them {@link #finish}es it, the same bits as
     * {@code apply}. The optimizer and the moving average go value by value; the max-norm constraint does not (a
     * neuron's weights cross any range), so with it the moving average waits for {@code finish} too. Returns the learning rate used.
     */
    public float applyRange(float[] params, Optimizer optimizer, float[] average, long globalStep, float[] gradient, int from, int to) {
        float rate = schedule.rate(globalStep);
        optimizer.updateRange(params, gradient, rate, from, to);
        if (config.maxNorm() <= 0 && average != null) {
            ParameterAverage.update(average, params, ParameterAverage.decayAt(config.ema(), globalStep), from, to);
        }
        return rate;
    }

    /** Ends a step whose every range was applied ({@link #applyRange}); once per step. */
    public void finish(float[] params, Optimizer optimizer, float[] average, long globalStep) {
        optimizer.endStep();
        if (config.maxNorm() > 0) {
            MaxNorm.apply(spec, params, (float) config.maxNorm());
            if (average != null) ParameterAverage.update(average, params, ParameterAverage.decayAt(config.ema(), globalStep));
        }
    }

    /** Whether {@link #finish} changes the parameters (the max-norm constraint), so nobody may read them before it is done. */
    public boolean finishChangesParameters() {
        return config.maxNorm() > 0;
    }
}
