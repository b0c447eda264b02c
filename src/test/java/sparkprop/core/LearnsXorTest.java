package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The smallest problem a hidden layer is needed for; the core alone, no Spark. */
class LearnsXorTest {
    @Test
    void aSmallNetLearnsXor() {
        NetworkSpec spec = NetworkSpec.of(new int[]{2, 8, 2}, Activation.TANH, Loss.CE);
        float[] params = new float[spec.parameterCount()];
        Initializer.XAVIER.initialize(spec, params, 11, 0);
        float[] x = {0, 0, 0, 1, 1, 0, 1, 1};
        int[] y = {0, 1, 1, 0};
        Optimizer optimizer = Optimizer.create(Optimizer.Kind.MOMENTUM, params.length, Optimizer.Settings.DEFAULTS);
        Backprop backprop = new Backprop(spec);
        float[] grad = new float[params.length];
        for (int step = 0; step < 500; step++) {
            backprop.lossAndGradient(params, x, y, 4, grad);
            for (int i = 0; i < grad.length; i++) grad[i] /= 4;
            optimizer.update(params, grad, 0.1f);
        }
        assertArrayEquals(y, new Model(spec, params).predictClasses(x, 4));
    }
}
