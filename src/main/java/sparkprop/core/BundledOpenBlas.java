package sparkprop.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Native sgemm with nothing installed: the application jar carries OpenBLAS 0.3.28 for Linux
 * x86-64 (from {@code org.bytedeco:openblas}) and the Fortran runtime it links. Before netlib first
 * looks for a BLAS, every JVM that runs the core (the driver, each executor) unpacks them once per
 * machine into {@code java.io.tmpdir}, loads the runtime, and points netlib at the library
 * ({@code dev.ludovic.netlib.blas.nativeLibPath}). One library on every node is also what makes a
 * pinned kernel ({@code OPENBLAS_CORETYPE}) give the same bits everywhere.
 *
 * <p>{@code -Dsparkprop.blas=system} uses the system's {@code libblas.so.3} instead;
 * a {@code dev.ludovic.netlib.blas.nativeLibPath} given by the user is left alone.
 */
final class BundledOpenBlas {
    static final String VERSION = "0.3.28";
    static final String NETLIB_PROPERTY = "dev.ludovic.netlib.blas.nativeLibPath";
    private static final String RESOURCES = "sparkprop/native/linux-x86_64/";
    /** In load order: each needs only the ones before it (and the C library). */
    private static final List<String> LIBRARIES = List.of("libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5", "libopenblas.so.0");

    /** What {@link #install} did, for reports: "bundled OpenBLAS 0.3.28", "system libblas.so.3", or why neither. */
    static String source = "not set up";

    private BundledOpenBlas() {
    }

    /** Points netlib at the bundled library, unless told otherwise or on another platform; never throws. */
    static synchronized void install() {
        if (!"not set up".equals(source)) return;
        if (System.getProperty(NETLIB_PROPERTY) != null) {
            source = "given by " + NETLIB_PROPERTY + " (" + System.getProperty(NETLIB_PROPERTY) + ")";
            return;
        }
        if ("system".equals(System.getProperty("sparkprop.blas"))) {
            source = "system libblas.so.3 (-Dsparkprop.blas=system)";
            return;
        }
        String os = System.getProperty("os.name", ""), arch = System.getProperty("os.arch", "");
        if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))
                || BundledOpenBlas.class.getClassLoader().getResource(RESOURCES + "libopenblas.so.0") == null) {
            source = "system libblas.so.3 (no bundled OpenBLAS for " + os + "/" + arch + ")";
            return;
        }
        try {
            Path dir = unpack();
            for (String library : LIBRARIES.subList(0, LIBRARIES.size() - 1)) System.load(dir.resolve(library).toString());
            System.setProperty(NETLIB_PROPERTY, dir.resolve("libopenblas.so.0").toString());
            source = "bundled OpenBLAS " + VERSION;
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            source = "system libblas.so.3 (the bundled OpenBLAS did not load: " + e.getMessage() + ")";
        }
    }

    /**
     * The libraries in a folder named by version and size, written under temporary names and
     * renamed into place, so JVMs that start together on one machine never see a partial file.
     */
    private static Path unpack() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "sparkprop-openblas-" + VERSION + "-" + System.getProperty("user.name", "user"));
        Files.createDirectories(dir);
        for (String library : LIBRARIES) {
            Path target = dir.resolve(library);
            try (InputStream in = BundledOpenBlas.class.getClassLoader().getResourceAsStream(RESOURCES + library)) {
                if (in == null) throw new IOException(RESOURCES + library + " is missing from the jar");
                byte[] bytes = in.readAllBytes();
                if (Files.exists(target) && Files.size(target) == bytes.length) continue;
                Path tmp = Files.createTempFile(dir, library, ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }
}
