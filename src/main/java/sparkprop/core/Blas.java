package sparkprop.core;

import dev.ludovic.netlib.blas.BLAS;

/**
 * The sgemm the kernels call: dev.ludovic.netlib with native OpenBLAS, the copy the application
 * jar carries ({@link BundledOpenBlas}) unless told to use the system's; where no native library
 * loads, the Vector API (with {@code --add-modules jdk.incubator.vector}), else plain Java.
 */
public final class Blas {
    private static final BLAS INSTANCE;

    static {
        BundledOpenBlas.install(); // before netlib's first look for a native library
        INSTANCE = BLAS.getInstance();
    }

    private Blas() {
    }

    public static BLAS get() {
        return INSTANCE;
    }

    /** "native", "vector" or "java": the backend every kernel in this JVM uses. */
    public static String backend() {
        String name = INSTANCE.getClass().getSimpleName();
        if (name.contains("Native") || name.contains("JNI")) return "native";
        if (name.contains("Vector")) return "vector";
        return "java";
    }

    /**
     * The OpenBLAS kernel family this JVM's library picked: the one {@code OPENBLAS_CORETYPE} pins
     * (read by OpenBLAS from the environment when it loads), else its choice for this CPU.
     */
    public static String kernel() {
        String pinned = System.getenv("OPENBLAS_CORETYPE");
        return pinned == null || pinned.isBlank() ? "per-CPU default (not pinned)" : pinned;
    }

    /** One line for reports: backend, library and kernel, e.g. "native (bundled OpenBLAS 0.3.28, kernel Haswell)". */
    public static String describe() {
        if (!backend().equals("native")) return backend();
        return "native (" + BundledOpenBlas.source + ", kernel " + kernel() + ")";
    }
}
