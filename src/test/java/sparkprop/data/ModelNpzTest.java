package sparkprop.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.core.Activation;
import sparkprop.core.Initializer;
import sparkprop.core.InputScaling;
import sparkprop.core.Loss;
import sparkprop.core.Model;
import sparkprop.core.NetworkSpec;

class ModelNpzTest {
    @TempDir
    Path dir;

    static final String FORWARD = String.join("\n",
            "import numpy as np, sys",
            "m = np.load(sys.argv[1]); x = np.load(sys.argv[2]); acts = [str(a) for a in m['activations']]",
            "a = x",
            "for l, f in enumerate(acts, start=1):",
            "    z = a @ m['W%d' % l] + m['b%d' % l]",
            "    if f == 'relu': a = np.maximum(z, 0)",
            "    elif f == 'sigmoid': a = 1 / (1 + np.exp(-z))",
            "    elif f == 'tanh': a = np.tanh(z)",
            "    elif f == 'identity': a = z",
            "    else: e = np.exp(z - z.max(axis=1, keepdims=True)); a = e / e.sum(axis=1, keepdims=True)",
            "np.save(sys.argv[3], a.astype(np.float32))");

    /** network.py's layout: W of shape (out, in), b of shape (out, 1), sigmoid everywhere, no activations saved. */
    static final String NIELSEN = String.join("\n",
            "import numpy as np, sys",
            "rng = np.random.default_rng(3); sizes = [6, 5, 3]",
            "W = [rng.standard_normal((o, i)).astype(np.float32) for i, o in zip(sizes[:-1], sizes[1:])]",
            "b = [rng.standard_normal((o, 1)).astype(np.float32) for o in sizes[1:]]",
            "np.savez(sys.argv[1], W1=W[0], b1=b[0], W2=W[1], b2=b[1])",
            "x = np.load(sys.argv[2]); a = x.T",
            "for w, bb in zip(W, b): a = 1 / (1 + np.exp(-(w @ a + bb)))",
            "np.save(sys.argv[3], a.T.astype(np.float32))");

    private static boolean numpy() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private void python(String script, Path... args) throws Exception {
        Files.writeString(dir.resolve("script.py"), script);
        String[] command = new String[2 + args.length];
        command[0] = "python3";
        command[1] = dir.resolve("script.py").toString();
        for (int i = 0; i < args.length; i++) command[2 + i] = args[i].toString();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }

    private float[] inputs(int n, int width) throws Exception {
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[n * width];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        Files.write(dir.resolve("x.npy"), Npy.write("<f4", new long[]{n, width}, Npy.floats(x)));
        return x;
    }

    private float[] readOutput() throws Exception {
        byte[] bytes = Files.readAllBytes(dir.resolve("out.npy"));
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        return Npy.readFloats(in, Npy.readHeader(in, "out.npy"), "out.npy");
    }

    private static Model model() {
        NetworkSpec spec = NetworkSpec.of(new int[]{6, 5, 4, 3}, Activation.TANH, Loss.CE);
        float[] p = new float[spec.parameterCount()];
        Initializer.XAVIER.initialize(spec, p, 9, 0);
        for (int i = spec.biasOffset(0); i < spec.biasOffset(0) + 5; i++) p[i] = 0.1f * i;
        return new Model(spec, p);
    }

    @Test
    void theInputScalingTravelsWithTheModel() throws Exception {
        Model m = model();
        Model table = new Model(m.spec(), m.params(), InputScaling.FLOAT32);
        assertEquals(InputScaling.FLOAT32, ModelNpz.read(ModelNpz.write(table), "t.npz", null, null, null).input());
        assertEquals(InputScaling.UINT8, ModelNpz.read(ModelNpz.write(m), "m.npz", null, null, null).input());

        // A file without it (the tutorials', network.py's) has pixel/255 inputs; a name we do not know is refused by name.
        java.util.Map<String, byte[]> members = unzip(ModelNpz.write(table));
        members.remove("input.npy");
        assertEquals(InputScaling.UINT8, ModelNpz.read(sparkprop.data.Fixtures.zip(members), "old.npz", null, null, null).input());
        members.put("input.npy", Npy.write("<U5", new long[]{}, Npy.strings(new String[]{"x/256"}, 5)));
        DataException unknown = assertThrows(DataException.class, () -> ModelNpz.read(sparkprop.data.Fixtures.zip(members), "u.npz", null, null, null));
        assertTrue(unknown.getMessage().contains("u.npz: input 'x/256'"), unknown.getMessage());
    }

    @Test
    void emptyOrAbsurdStringArraysAreNamedNotCrashes() throws Exception {
        java.util.Map<String, byte[]> members = unzip(ModelNpz.write(model()));
        String[][] cases = {{"<U3", "0"}, {"<U999999999", ""}, {"<Uxx", ""}, {"<U3", "99999999"}};
        for (String[] c : cases) {
            long[] shape = c[1].isEmpty() ? new long[]{} : new long[]{Long.parseLong(c[1])};
            members.put("loss.npy", Npy.write(c[0], shape, new byte[0]));
            DataException e = assertThrows(DataException.class, () -> ModelNpz.read(sparkprop.data.Fixtures.zip(members), "s.npz", null, null, null),
                    String.join(" ", c));
            assertTrue(e.getMessage().startsWith("s.npz:loss"), e.getMessage());
        }
    }

    private static java.util.Map<String, byte[]> unzip(byte[] npz) throws Exception {
        java.util.Map<String, byte[]> members = new java.util.LinkedHashMap<>();
        try (java.util.zip.ZipInputStream zip = new java.util.zip.ZipInputStream(new ByteArrayInputStream(npz))) {
            for (java.util.zip.ZipEntry e; (e = zip.getNextEntry()) != null; ) members.put(e.getName(), zip.readAllBytes());
        }
        return members;
    }

    /** A NaN or infinite weight would answer NaN for every picture: refused, naming the array and the place. */
    @Test
    void nonFiniteWeightsAreRefusedByArrayAndIndex() {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY}) {
            Model m = model();
            float[] params = m.params().clone();
            params[m.spec().biasOffset(0) + 2] = bad;
            byte[] npz = ModelNpz.write(new Model(m.spec(), params, m.input()));
            DataException e = assertThrows(DataException.class, () -> ModelNpz.read(npz, "bad.npz", null, null, null));
            assertEquals("bad.npz: b1 holds " + bad + " at flat index 2; a model's weights must be finite numbers", e.getMessage());
        }
    }

    @Test
    void exportImportRoundTripIsExact() {
        Model m = model();
        Model back = ModelNpz.read(ModelNpz.write(m), "m.npz", null, null, null);
        assertEquals(m.spec(), back.spec());
        assertArrayEquals(m.params(), back.params());
    }

    @Test
    void numpyComputesTheSamePredictionsFromTheExport() throws Exception {
        assumeTrue(numpy(), "python3 with numpy is not installed");
        Model m = model();
        Files.write(dir.resolve("m.npz"), ModelNpz.write(m));
        float[] x = inputs(7, 6);
        python(FORWARD, dir.resolve("m.npz"), dir.resolve("x.npy"), dir.resolve("out.npy"));
        float[] numpy = readOutput(), ours = m.predict(x, 7);
        for (int i = 0; i < ours.length; i++) assertEquals(ours[i], numpy[i], 1e-5, "output " + i);
    }

    @Test
    void aNetworkPyModelImportsAndPredictsLikeNumpy() throws Exception {
        assumeTrue(numpy(), "python3 with numpy is not installed");
        float[] x = inputs(5, 6);
        python(NIELSEN, dir.resolve("nielsen.npz"), dir.resolve("x.npy"), dir.resolve("out.npy"));
        byte[] npz = Files.readAllBytes(dir.resolve("nielsen.npz"));
        DataException e = assertThrows(DataException.class, () -> ModelNpz.read(npz, "nielsen.npz", null, null, null));
        assertTrue(e.getMessage().contains("--activation"), e.getMessage());
        Model imported = ModelNpz.read(npz, "nielsen.npz", Activation.SIGMOID, Activation.SIGMOID, Loss.MSE);
        assertEquals("6-5-3", imported.spec().describeSizes());
        float[] numpy = readOutput(), ours = imported.predict(x, 5);
        for (int i = 0; i < ours.length; i++) assertEquals(numpy[i], ours[i], 1e-5, "output " + i);
    }
}
