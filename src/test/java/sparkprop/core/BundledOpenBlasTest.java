package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The OpenBLAS the jar carries is what the core uses on Linux x86-64, whatever the system has installed. */
class BundledOpenBlasTest {
    @Test
    void theCoreRunsOnTheBundledLibraryPinnedToTheConfiguredKernel() throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"), "bundled for Linux x86-64 only");
        assertEquals("native", Blas.backend(), Blas.describe());
        assertTrue(Blas.describe().contains("bundled OpenBLAS " + BundledOpenBlas.VERSION), Blas.describe());
        Path library = Path.of(System.getProperty(BundledOpenBlas.NETLIB_PROPERTY));
        assertTrue(Files.isRegularFile(library) && library.getParent().getFileName().toString().startsWith("sparkprop-openblas-"), library.toString());
        // The pom gives the tests OPENBLAS_CORETYPE=Haswell, as the scripts do.
        assertEquals("Haswell", Blas.kernel());
        // And it computes: a 2x2 sgemm.
        float[] c = new float[4];
        Blas.get().sgemm("N", "N", 2, 2, 2, 1f, new float[]{1, 2, 3, 4}, 2, new float[]{1, 0, 0, 1}, 2, 0f, c, 2);
        assertEquals(java.util.List.of(1f, 2f, 3f, 4f), java.util.List.of(c[0], c[1], c[2], c[3]));
    }

    /**
     * The kernel really follows OPENBLAS_CORETYPE, as the scripts and executors set it: a fresh JVM
     * told another family reports it (the check above only reads what the pom set).
     */
    @Test
    void theKernelFamilyFollowsOpenblasCoretype() throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"), "bundled for Linux x86-64 only");
        for (String family : new String[]{"Nehalem", "Sandybridge"}) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), BlasProbe.class.getName()).redirectErrorStream(true);
            pb.environment().put("OPENBLAS_CORETYPE", family);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, out);
            assertTrue(out.contains("bundled OpenBLAS " + BundledOpenBlas.VERSION + ", kernel " + family), out);
        }
    }
}
