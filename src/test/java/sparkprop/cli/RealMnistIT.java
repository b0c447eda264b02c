package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sparkprop.data.Dataset;
import sparkprop.data.Examples;

/**
 * The accuracy targets, checked by running the real thing on real MNIST (data/mnist, which
 * .ci/run fetches; skipped where it is absent) with the scripts a user runs.
 */
class RealMnistIT {
    static final Path MNIST = Scripts.ROOT.resolve("data/mnist");
    static final Path WORK = Scripts.ROOT.resolve("target/it-mnist");
    static final ObjectMapper JSON = new ObjectMapper();
    static Path defaultRun;

    @BeforeAll
    static void trainWithDefaults() throws Exception {
        assumeTrue(Files.exists(MNIST.resolve("train-images-idx3-ubyte")), "real MNIST is not in data/mnist (scripts/fetch-mnist)");
        ClusterIT.deleteTree(WORK);
        defaultRun = WORK.resolve("default");
        Scripts.Result r = Scripts.run(WORK, 900, "scripts/train", "--out", defaultRun.toString());
        assertEquals(0, r.code(), r.output());
    }

    private static JsonNode summary(Path run) throws Exception {
        return JSON.readTree(run.resolve("summary.json").toFile());
    }

    @Test
    void theDefaultsReachNinetyEightPercent() throws Exception {
        JsonNode s = summary(defaultRun);
        System.out.printf("defaults: %.2f%% in %.1f s of training%n", 100 * s.get("test_accuracy").asDouble(), s.get("train_seconds").asDouble());
        assertTrue(s.get("test_accuracy").asDouble() >= 0.98, s.toString());
    }

    /**
     * Robustness: the MNIST test set shifted, turned and rescaled (a fixed seed, made here), scored
     * by the default model and by the same training with --augment of the same kind.
     */
    @Test
    void augmentedTrainingHoldsUpOnDistortedTestDigits() throws Exception {
        String spec = "shift=2,rotate=15,scale=0.15";
        Configuration conf = new Configuration();
        Path distorted = Files.createDirectories(WORK.resolve("distorted-mnist"));
        for (String f : new String[]{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"}) {
            Files.copy(MNIST.resolve(f), distorted.resolve(f));
        }
        Examples test = Dataset.open(MNIST.toString(), conf).test().read(conf, 0, 10000);
        sparkprop.core.Augment copy = sparkprop.core.Augment.parse(spec);
        sparkprop.core.Augment.Scratch scratch = new sparkprop.core.Augment.Scratch(28);
        byte[] pixels = new byte[10000 * 784];
        float[] x = new float[784];
        for (int i = 0; i < 10000; i++) {
            for (int p = 0; p < 784; p++) x[p] = (test.pixels()[i * 784 + p] & 0xFF) / 255f;
            copy.apply(x, 0, scratch, sparkprop.core.Seeds.derive(2026, i));
            for (int p = 0; p < 784; p++) pixels[i * 784 + p] = (byte) Math.round(Math.max(0, Math.min(1, x[p])) * 255);
        }
        Files.write(distorted.resolve("t10k-images-idx3-ubyte"), sparkprop.data.Fixtures.idxImages(10000, 28, 28, pixels));

        Path augmented = WORK.resolve("augmented-default");
        Scripts.Result trained = Scripts.run(WORK, 900, "scripts/train", "--augment", spec, "--out", augmented.toString());
        assertEquals(0, trained.code(), trained.output());
        double[] plain = {summary(defaultRun).get("test_accuracy").asDouble(), accuracyOn(defaultRun, distorted, "plain")};
        double[] withAugment = {summary(augmented).get("test_accuracy").asDouble(), accuracyOn(augmented, distorted, "augmented")};
        System.out.printf("robustness (%s on the test set, seed 2026): the defaults %.2f%% clean, %.2f%% distorted;"
                + " with --augment %s %.2f%% clean, %.2f%% distorted (%.1f s of training)%n", spec, 100 * plain[0], 100 * plain[1], spec,
                100 * withAugment[0], 100 * withAugment[1], summary(augmented).get("train_seconds").asDouble());
        assertTrue(withAugment[1] > plain[1] + 0.01, "augmentation makes the model hold up on distorted digits");
    }

    private static double accuracyOn(Path run, Path data, String name) throws Exception {
        Path out = WORK.resolve("eval-distorted-" + name);
        Scripts.Result r = Scripts.run(WORK, 600, "scripts/evaluate", "--model", run.resolve("model.bin").toString(), "--data", data.toString(),
                "--out", out.toString());
        assertEquals(0, r.code(), r.output());
        return JSON.readTree(out.resolve("metrics.json").toFile()).get("accuracy").asDouble();
    }

    @Test
    void evaluateAgreesWithTheSummaryAndAddsUp() throws Exception {
        Path out = WORK.resolve("eval");
        Scripts.Result r = Scripts.run(WORK, 600, "scripts/evaluate", "--model", defaultRun.resolve("model.bin").toString(),
                "--data", MNIST.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.output());
        JsonNode m = JSON.readTree(out.resolve("metrics.json").toFile());
        assertEquals(summary(defaultRun).get("test_accuracy").asDouble(), m.get("accuracy").asDouble(), 1e-12);
        long supports = 0, diagonal = 0;
        for (JsonNode c : m.get("per_class")) supports += c.get("support").asLong();
        for (int i = 0; i < 10; i++) diagonal += m.get("confusion_matrix").get(i).get(i).asLong();
        assertEquals(10000, supports);
        assertEquals(m.get("correct").asLong(), diagonal);
    }

    @Test
    void predictReadsRescaledInvertedDigits() throws Exception {
        Path pictures = WORK.resolve("png64");
        assertEquals(0, Scripts.run(WORK, 300, "scripts/export-images", "--data", MNIST.toString(), "--out", pictures.toString(),
                "--limit", "100", "--size", "64", "--invert").code());
        Files.delete(pictures.resolve("contact-sheet.png"));
        Scripts.Result r = Scripts.run(WORK, 300, "scripts/predict", "--model", defaultRun.resolve("model.bin").toString(), pictures.toString());
        assertEquals(0, r.code(), r.output());
        long correct = r.output().lines().filter(l -> l.matches(".*/\\d{5}_\\d\\.png \\d .*")).filter(l -> {
            String file = l.substring(l.lastIndexOf('/') + 1);
            return file.charAt(6) == l.split(" ")[1].charAt(0);
        }).count();
        System.out.println("predict on 64x64 inverted MNIST test digits: " + correct + " of 100");
        assertTrue(correct >= 95, correct + " of 100");
    }

    @Test
    void theTutorialsNetworksReachTheirTargetsWithTheOtherDefaults() throws Exception {
        for (String[] c : new String[][]{{"784,100,10", "relu", "0.975"}, {"784,30,10", "sigmoid", "0.955"}}) {
            Path out = WORK.resolve("net-" + c[0].replace(',', '-'));
            Scripts.Result r = Scripts.run(WORK, 900, "scripts/train", "--layers", c[0], "--activation", c[1], "--out", out.toString());
            assertEquals(0, r.code(), r.output());
            JsonNode s = summary(out);
            System.out.printf("%s %s: %.2f%% in %.1f s%n", c[0], c[1], 100 * s.get("test_accuracy").asDouble(), s.get("train_seconds").asDouble());
            assertTrue(s.get("test_accuracy").asDouble() >= Double.parseDouble(c[2]), c[0] + " " + s.get("test_accuracy"));
        }
    }

    @Test
    void theTextBitmapDigitsReachNinetySevenPercentWithTheirConfigAndWithTheDefaults() throws Exception {
        Path zip = Scripts.ROOT.resolve("../shared/data/digits-32x32.zip");
        assumeTrue(Files.exists(zip), "shared/data/digits-32x32.zip is not beside this checkout");
        Path out = WORK.resolve("digits");
        Scripts.Result r = Scripts.run(WORK, 900, "scripts/train", "--config", "conf/digits-32x32.properties", "--data", zip.toString(),
                "--out", out.toString());
        assertEquals(0, r.code(), r.output());
        JsonNode s = summary(out);
        System.out.printf("digits-32x32: %.2f%% in %.1f s%n", 100 * s.get("test_accuracy").asDouble(), s.get("train_seconds").asDouble());
        assertTrue(s.get("test_accuracy").asDouble() >= 0.97, s.toString());

        // With no option but --data: the defaults fit the 1934 examples (batch 32, rate 0.1) and reach the same target.
        Path defaults = WORK.resolve("digits-defaults");
        Scripts.Result plain = Scripts.run(WORK, 900, "scripts/train", "--data", zip.toString(), "--out", defaults.toString());
        assertEquals(0, plain.code(), plain.output());
        assertTrue(plain.output().contains("fitted to 1934 training examples: --batch-size 32"), plain.output());
        JsonNode d = summary(defaults);
        System.out.printf("digits-32x32 with the defaults: %.2f%% in %.1f s%n", 100 * d.get("test_accuracy").asDouble(), d.get("train_seconds").asDouble());
        assertTrue(d.get("test_accuracy").asDouble() >= 0.97, d.toString());
    }

    /** Real MNIST written as CSV (with a header) and as LIBSVM trains with the defaults to the IDX run's model, bit for bit. */
    @Test
    void mnistAsCsvAndAsLibsvmTrainsToTheIdxBits() throws Exception {
        Configuration conf = new Configuration();
        Dataset files = Dataset.open(MNIST.toString(), conf);
        Examples train = files.train().read(conf, 0, files.train().count()), test = files.test().read(conf, 0, files.test().count());
        Path tables = Files.createDirectories(WORK.resolve("tables"));
        Files.writeString(tables.resolve("train.csv"), TableTrainingTest.csv(train, 0, train.count(), true));
        Files.writeString(tables.resolve("test.csv"), TableTrainingTest.csv(test, 0, test.count(), true));
        Files.writeString(tables.resolve("train.libsvm"), TableTrainingTest.libsvm(train, 0, train.count()));
        Files.writeString(tables.resolve("test.libsvm"), TableTrainingTest.libsvm(test, 0, test.count()));
        byte[] idx = Files.readAllBytes(defaultRun.resolve("model.bin"));
        for (String format : new String[]{"csv", "libsvm"}) {
            Path out = WORK.resolve("table-" + format);
            // LIBSVM leaves zeros out, so the width it shows is that of the last pixel ever inked (780 here): --layers gives 784.
            Scripts.Result r = Scripts.run(WORK, 900, "scripts/train", "--data", tables.resolve("train." + format).toString(),
                    "--test-data", tables.resolve("test." + format).toString(), "--layers", "784,256,10", "--out", out.toString());
            assertEquals(0, r.code(), r.output());
            System.out.printf("MNIST as %s: %.2f%% in %.1f s of training%n", format, 100 * summary(out).get("test_accuracy").asDouble(),
                    summary(out).get("train_seconds").asDouble());
            assertArrayEquals(idx, Files.readAllBytes(out.resolve("model.bin")), format + " gives the IDX run's bits");
        }
    }
}
