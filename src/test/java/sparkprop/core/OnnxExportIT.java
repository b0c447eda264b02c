package sparkprop.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Dataset;
import sparkprop.data.Examples;
import sparkprop.train.PlainLoop;
import sparkprop.train.TrainConfig;

/**
 * Exported ONNX graphs run by ONNX Runtime, as a serving system would, on the 10,000 real MNIST
 * test images (data/mnist, which .ci/run fetches; skipped where it is absent): the same class as
 * the product for every image and probabilities within 1e-5, for relu, sigmoid and tanh nets and
 * a model of float32 inputs; and onnx.checker's full check passes where python3-onnx is installed.
 */
class OnnxExportIT {
    static final Path MNIST = Path.of("data/mnist").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void onnxRuntimeAgreesWithTheProductOnEveryTestImage() throws Exception {
        assumeTrue(Files.exists(MNIST.resolve("train-images-idx3-ubyte")), "real MNIST is not in data/mnist (scripts/fetch-mnist)");
        Configuration conf = new Configuration();
        Dataset mnist = Dataset.open(MNIST.toString(), conf);
        Examples train = mnist.train().read(conf, 0, 12000), test = mnist.test().read(conf, 0, mnist.test().count());
        int n = test.count(), width = test.width();
        float[] pixels = new float[n * width]; // the raw values a caller hands the graph: 0..255
        for (int i = 0; i < pixels.length; i++) pixels[i] = test.pixels()[i] & 0xFF;

        try (OrtEnvironment env = OrtEnvironment.getEnvironment()) {
            for (String activation : new String[]{"relu", "sigmoid", "tanh"}) {
                TrainConfig config = TrainConfig.defaults().with("layers", "784,64,10").with("activation", activation).with("epochs", "1")
                        .with("batch-size", "100").with("learning-rate", "0.1");
                Model model = PlainLoop.run(config, train, test).model();
                check(env, model, pixels, n, activation);
                if (activation.equals("relu")) {
                    // A model of float32 inputs (a table's): no scaling in the graph, the values as they are.
                    Model floats = new Model(model.spec(), model.params(), InputScaling.FLOAT32);
                    float[] values = new float[pixels.length];
                    for (int i = 0; i < values.length; i++) values[i] = InputScaling.UINT8.input(pixels[i]);
                    check(env, floats, values, n, "float32 inputs");
                }
            }
        }
    }

    private void check(OrtEnvironment env, Model model, float[] inputs, int n, String name) throws Exception {
        byte[] onnx = ModelOnnx.write(model);
        Path file = dir.resolve(name.replace(' ', '-') + ".onnx");
        Files.write(file, onnx);
        float[] x = new float[inputs.length];
        for (int i = 0; i < x.length; i++) x[i] = model.input().input(inputs[i]);
        float[] expected = model.predict(x, n);
        int[] classes = model.predictClasses(x, n);
        int k = model.spec().outputSize();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(inputs), new long[]{n, model.spec().inputSize()});
             OrtSession.Result out = session.run(Map.of("features", in))) {
            float[][] p = (float[][]) out.get("probabilities").orElseThrow().getValue();
            long[] c = (long[]) out.get("class").orElseThrow().getValue();
            double worst = 0;
            int disagree = 0;
            for (int j = 0; j < n; j++) {
                if (c[j] != classes[j]) disagree++;
                for (int i = 0; i < k; i++) worst = Math.max(worst, Math.abs(p[j][i] - expected[j * k + i]));
            }
            System.out.printf("%s: ONNX Runtime and the product disagree on %d of %d classes; largest probability difference %.2e%n",
                    name, disagree, n, worst);
            assertEquals(0, disagree, name);
            assertTrue(worst <= 1e-5, name + ": " + worst);
        }
        checker(file);
    }

    /** onnx.checker with full_check (shape inference), where Debian's python3-onnx is installed. */
    private static void checker(Path file) throws Exception {
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process probe = new ProcessBuilder(python, "-c", "import onnx").redirectErrorStream(true).start();
        if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0) {
            System.out.println("warning: python3-onnx is not installed; onnx.checker was skipped for " + file.getFileName());
            return;
        }
        Process p = new ProcessBuilder(python, "-c", "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); "
                + "assert m.ir_version == 8 and m.opset_import[0].version == 17", file.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "onnx.checker: " + output);
    }
}
