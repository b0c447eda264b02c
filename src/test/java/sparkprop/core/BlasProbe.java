package sparkprop.core;

/** Prints what the core's BLAS is in a fresh JVM, for tests that set its environment. */
public final class BlasProbe {
    private BlasProbe() {
    }

    public static void main(String[] args) {
        System.out.println(Blas.describe());
    }
}
