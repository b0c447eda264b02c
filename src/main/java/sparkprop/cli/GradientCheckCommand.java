package sparkprop.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sparkprop.core.Activation;
import sparkprop.core.Blas;
import sparkprop.core.GradientCheck;
import sparkprop.core.Loss;
import sparkprop.core.NetworkSpec;

/** {@code gradcheck}: the finite-difference gradient check over every activation/loss pair. */
@Command(name = "gradcheck", mixinStandardHelpOptions = true,
        description = "Compare backprop's gradient with central differences for every activation and loss.")
final class GradientCheckCommand implements Callable<Integer> {
    @Option(names = "--layers", description = "Layer sizes of the small test net (default: ${DEFAULT-VALUE}).", defaultValue = "6,5,4,3")
    String layers;

    @Option(names = "--batch-size", description = "Examples in the test batch (default: ${DEFAULT-VALUE}).", defaultValue = "4")
    int batch;

    @Option(names = "--seed", description = "Seed of the random net and data (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;

    @Option(names = "--tolerance", description = "Largest relative error that passes (default: ${DEFAULT-VALUE}).", defaultValue = "1e-3")
    double tolerance;

    @Override
    public Integer call() {
        int[] sizes = java.util.Arrays.stream(layers.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        if (batch <= 0) throw new sparkprop.core.BadInputException("--batch-size must be positive, got " + batch);
        System.out.printf("gradient check, %s net, batch %d, BLAS %s: analytic float32 vs central differences of a float64 reference%n",
                String.join("-", java.util.Arrays.stream(sizes).mapToObj(Integer::toString).toList()), batch, Blas.backend());
        System.out.printf("%-9s %-8s %-5s %14s  %s%n", "hidden", "output", "loss", "max rel. error", "result");
        boolean allPass = true;
        for (Loss loss : Loss.values()) {
            for (Activation output : Activation.values()) {
                if (!loss.accepts(output)) continue;
                for (Activation hidden : Activation.values()) {
                    GradientCheck.Result r = GradientCheck.run(new NetworkSpec(sizes, hidden, output, loss), batch, seed);
                    boolean pass = r.passes(tolerance);
                    allPass &= pass;
                    System.out.printf("%-9s %-8s %-5s %14.2e  %s%n", hidden.id(), output.id(), loss.id(), r.maxRelativeError(),
                            pass ? "ok" : "FAIL (parameter " + r.worstParameter() + ": " + r.analytic() + " vs " + r.numeric() + ")");
                }
            }
        }
        System.out.println(allPass ? "all gradients match" : "GRADIENT CHECK FAILED");
        return allPass ? 0 : 1;
    }
}
