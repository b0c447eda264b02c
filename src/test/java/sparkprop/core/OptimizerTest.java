package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OptimizerTest {
    @Test
    void momentumFollowsTheHeavyBallFormula() {
        Optimizer o = Optimizer.create(Optimizer.Kind.MOMENTUM, 1, Optimizer.Settings.DEFAULTS);
        float[] theta = {1f};
        o.update(theta, new float[]{1f}, 0.1f); // v = 1, θ = 1 - 0.1
        assertEquals(0.9f, theta[0], 1e-6);
        o.update(theta, new float[]{1f}, 0.1f); // v = 0.9 + 1 = 1.9, θ = 0.9 - 0.19
        assertEquals(0.71f, theta[0], 1e-6);
    }

    @Test
    void nesterovLooksAhead() {
        Optimizer o = Optimizer.create(Optimizer.Kind.NESTEROV, 1, Optimizer.Settings.DEFAULTS);
        float[] theta = {1f};
        o.update(theta, new float[]{1f}, 0.1f); // v = 1, step = g + μv = 1.9
        assertEquals(1f - 0.19f, theta[0], 1e-6);
    }

    @Test
    void sgdWithWeightDecayShrinksTowardZero() {
        Optimizer o = Optimizer.create(Optimizer.Kind.SGD, 1, Optimizer.Settings.DEFAULTS.withMomentum(0f).withWeightDecay(0.5f));
        float[] theta = {2f};
        o.update(theta, new float[]{0f}, 0.1f); // g = 0 + 0.5·2 = 1
        assertEquals(1.9f, theta[0], 1e-6);
    }

    @Test
    void adamsFirstStepHasTheSizeOfTheLearningRate() {
        Optimizer o = Optimizer.create(Optimizer.Kind.ADAM, 2, Optimizer.Settings.DEFAULTS.withMomentum(0f));
        float[] theta = {0f, 0f};
        o.update(theta, new float[]{3f, -0.001f}, 0.01f);
        assertEquals(-0.01f, theta[0], 1e-6);
        assertEquals(0.01f, theta[1], 1e-4);
    }

    @Test
    void schedulesWarmUpThenDecay() {
        LearningRateSchedule cosine = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 1.0, 110, 10, 1, 1);
        assertEquals(0.1f, cosine.rate(0), 1e-6);
        assertEquals(1.0f, cosine.rate(10), 1e-6);
        assertEquals(0.5f, cosine.rate(60), 1e-6);
        assertEquals(0.0f, cosine.rate(110), 1e-6);
        LearningRateSchedule step = new LearningRateSchedule(LearningRateSchedule.Kind.STEP, 1.0, 100, 0, 30, 0.1);
        assertEquals(1.0f, step.rate(29), 1e-6);
        assertEquals(0.1f, step.rate(30), 1e-6);
        assertEquals(0.01f, step.rate(65), 1e-6);
    }
}
