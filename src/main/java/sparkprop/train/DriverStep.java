package sparkprop.train;

import sparkprop.core.LearningRateSchedule;
import sparkprop.core.MaxNorm;
import sparkprop.core.NetworkSpec;
import sparkprop.core.ParameterAverage;

/**
 * What the driver does with a step's mean gradient, in order: the scheduled learning rate, the
 * optimizer's update, the max-norm constraint, the moving average. Spark-free, and shared by the
 * Spark loop and the plain loop, which must end in the same bits.
 */
public record DriverStep(TrainConfig config, NetworkSpec spec, LearningRateSchedule schedule) {
    public DriverStep(TrainConfig config, NetworkSpec spec, int stepsPerEpoch) {
        this(config, spec, config.learningRateSchedule(stepsPerEpoch));
    }

    /** Applies step {@code globalStep} (counted from 0 over the whole run) to the state; returns the learning rate used. */
    public float apply(TrainingState state, long globalStep, float[] gradient) {
        float rate = schedule.rate(globalStep);
        float[] params = state.params();
        state.optimizer().update(params, gradient, rate);
        if (config.maxNorm() > 0) MaxNorm.apply(spec, params, (float) config.maxNorm());
        if (state.average() != null) ParameterAverage.update(state.average(), params, ParameterAverage.decayAt(config.ema(), globalStep));
        return rate;
    }
}
