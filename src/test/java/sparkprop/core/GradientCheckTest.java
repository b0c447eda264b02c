package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every parameter of small nets, every activation with every loss it fits, against float64 central differences. */
class GradientCheckTest {
    static Stream<NetworkSpec> specs() {
        List<NetworkSpec> specs = new ArrayList<>();
        for (Loss loss : Loss.values()) {
            for (Activation output : Activation.values()) {
                if (!loss.accepts(output)) continue;
                for (Activation hidden : Activation.values()) {
                    specs.add(new NetworkSpec(new int[]{7, 5, 4, 3}, hidden, output, loss));
                }
            }
        }
        specs.add(NetworkSpec.of(new int[]{9, 10}, Activation.RELU, Loss.CE)); // no hidden layer
        return specs.stream();
    }

    @ParameterizedTest
    @MethodSource("specs")
    void analyticGradientMatchesCentralDifferences(NetworkSpec spec) {
        GradientCheck.Result r = GradientCheck.run(spec, 5, 42);
        System.out.printf("gradcheck %-40s max relative error %.2e%n", spec, r.maxRelativeError());
        assertTrue(r.passes(1e-3), () -> spec + ": parameter " + r.worstParameter() + " analytic " + r.analytic()
                + " vs numeric " + r.numeric() + ", relative error " + r.maxRelativeError()
                + "; loss kernel " + r.kernelLoss() + " vs reference " + r.referenceLoss());
    }

    static Stream<NetworkSpec> hiddenActivations() {
        return Stream.of(Activation.RELU, Activation.SIGMOID, Activation.TANH)
                .map(hidden -> new NetworkSpec(new int[]{8, 6, 5, 3}, hidden, Activation.SOFTMAX, Loss.CE));
    }

    /**
     * With dropout on the input and both hidden layers, the kernel's gradient must be that of the
     * masked network: a backward pass that forgot the masks, or took f' of the scaled activation
     * (wrong for sigmoid and tanh), fails here.
     */
    @ParameterizedTest
    @MethodSource("hiddenActivations")
    void gradientWithDropoutMatchesTheMaskedReference(NetworkSpec spec) {
        Dropout dropout = new Dropout(0.25f, 0.4f);
        GradientCheck.Result r = GradientCheck.run(spec, 6, 7, dropout);
        System.out.printf("gradcheck with dropout %-30s max relative error %.2e%n", spec, r.maxRelativeError());
        assertTrue(r.passes(1e-3), () -> spec + " with dropout: parameter " + r.worstParameter() + " analytic " + r.analytic()
                + " vs numeric " + r.numeric() + ", relative error " + r.maxRelativeError()
                + "; loss kernel " + r.kernelLoss() + " vs reference " + r.referenceLoss());
        // And dropout really changed the loss being differentiated.
        assertNotEquals(GradientCheck.run(spec, 6, 7).kernelLoss(), r.kernelLoss());
    }
}
