package sparkprop.core;

import dev.ludovic.netlib.blas.BLAS;

/**
 * The sgemm the kernels call: dev.ludovic.netlib picks native OpenBLAS when the library loads,
 * else the Vector API (with {@code --add-modules jdk.incubator.vector}), else plain Java.
 */
public final class Blas {
    private static final BLAS INSTANCE = BLAS.getInstance();

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
}
