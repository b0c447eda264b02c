package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.data.Dataset;
import sparkprop.data.Examples;
import sparkprop.data.Fixtures;

class TrainCommandTest {
    @TempDir
    static Path dir;
    static String data;

    @BeforeAll
    static void makeData() throws Exception {
        data = Fixtures.syntheticMnist(dir.resolve("mnist"), 1200, 300, 8, false, 2).toString();
    }

    /** 1200 examples with the shipped batch of 512 would be 2 steps an epoch: the defaults fit the set, and a restart agrees. */
    @Test
    void defaultsFitASmallTrainingSetAndSayHow() throws Exception {
        Path out = dir.resolve("fitted");
        String[] command = {"train", "--data", data, "--layers", "64,24,10", "--epochs", "2", "--master", "local[2]", "--out", out.toString(),
                "--resume-if-exists"};
        String[] first = java.util.Arrays.copyOf(command, command.length + 2);
        first[command.length] = "--stop-after";
        first[command.length + 1] = "1";
        CliRun run = CliRun.of(first);
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("fitted to 1200 training examples: --batch-size 16 (not 512, so an epoch has at least 60 steps),"
                + " --learning-rate 0.07071068 (0.4 x sqrt(16/512))"), run.out());
        assertTrue(run.out().contains("75 steps/epoch"), run.out());
        // The same command line again (a supervised restart) continues the run: the fitted values are its configuration.
        CliRun again = CliRun.of(command);
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("continuing the run"), again.out());
        JsonNode config = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("config");
        assertEquals("16", config.get("batch-size").asText());
        assertEquals("0.07071068", config.get("learning-rate").asText());
        // A chosen batch is kept as given.
        CliRun chosen = CliRun.of("train", "--data", data, "--layers", "64,24,10", "--epochs", "1", "--batch-size", "512", "--master", "local[2]",
                "--out", dir.resolve("chosen").toString());
        assertEquals(0, chosen.exitCode(), chosen.err());
        assertTrue(!chosen.out().contains("fitted to"), chosen.out());
    }

    /**
     * The default run uses every task slot: three cores get three partitions and, with --shards auto, six shards (the smallest
     * multiple of three from four up); the first line and summary.json say so. Given shards stay as given.
     */
    @Test
    void theDefaultRunUsesEveryTaskSlotAndShardsFollowThem() throws Exception {
        Path out = dir.resolve("three-slots");
        CliRun run = CliRun.of("train", "--data", data, "--layers", "64,24,10", "--epochs", "1", "--batch-size", "60", "--master", "local[3]",
                "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("batch 60 over 6 shards in 3 partitions on 3 task slots,"), run.out());
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals(3, summary.get("task_slots").asInt(), summary.toString());
        assertEquals(3, summary.get("partitions").asInt(), summary.toString());
        assertEquals("6", summary.get("config").get("shards").asText());
        assertEquals("stage", summary.get("sync").asText());
        // In local mode the tasks share the driver's JVM: they add their sums in shared memory, unless asked otherwise.
        assertEquals("shared", summary.get("exchange").asText());
        CliRun given = CliRun.of("train", "--data", data, "--layers", "64,24,10", "--epochs", "1", "--batch-size", "60", "--shards", "4",
                "--master", "local[3]", "--out", dir.resolve("three-slots-given").toString());
        assertEquals(0, given.exitCode(), given.err());
        assertTrue(given.out().contains("batch 60 over 4 shards in 3 partitions on 3 task slots,"), given.out());
    }

    @Test
    void writesTheRunFolderWithModelMetricsAndSummary() throws Exception {
        Path out = dir.resolve("run");
        CliRun run = CliRun.of("train", "--data", data, "--layers", "64,24,10", "--epochs", "3", "--batch-size", "40",
                "--master", "local[2]", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("epoch   3/3"), run.out());
        assertTrue(run.out().contains("model:   " + out.resolve("model.bin")), run.out());

        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        ObjectMapper json = new ObjectMapper();
        for (String field : new String[]{"epoch", "train_loss", "test_accuracy", "epoch_seconds", "samples_per_second"}) {
            assertTrue(json.readTree(lines.get(2)).has(field), field + " in " + lines.get(2));
        }
        JsonNode summary = json.readTree(out.resolve("summary.json").toFile());
        for (String field : new String[]{"test_accuracy", "epochs", "train_seconds", "model_file", "model_sha256", "config"}) {
            assertTrue(summary.has(field), field + " in " + summary);
        }
        assertEquals(ModelFile.sha256Hex(Files.readAllBytes(out.resolve("model.bin"))), summary.get("model_sha256").asText());
        assertEquals("64,24,10", summary.get("config").get("layers").asText());
        // Two partitions on two cores: every step of an epoch ran in one stage.
        assertEquals("stage", summary.get("sync").asText(), summary.toString());
        assertEquals("auto", summary.get("config").get("sync").asText());

        // The summary's accuracy is that of the saved model, recomputed here by the core alone.
        Model model = Model.load(out.resolve("model.bin"));
        Dataset dataset = Dataset.open(data, new Configuration());
        Examples test = dataset.test().read(new Configuration(), 0, dataset.test().count());
        float[] x = new float[64 * test.count()];
        int[] y = new int[test.count()];
        test.toInputs(0, test.count(), x, y);
        int[] predicted = model.predictClasses(x, test.count());
        int correct = 0;
        for (int i = 0; i < y.length; i++) if (predicted[i] == y[i]) correct++;
        assertEquals((double) correct / y.length, summary.get("test_accuracy").asDouble(), 1e-12);
        assertTrue(summary.get("test_accuracy").asDouble() > 0.9);
    }

    @Test
    void inputWidthFollowsTheDataWhenLayersAreNotGiven() throws Exception {
        Path out = dir.resolve("auto-width");
        CliRun run = CliRun.of("train", "--data", data, "--epochs", "1", "--batch-size", "40", "--master", "local[2]", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("64-256-10"), run.out());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--activation|softplus|unknown activation 'softplus'",
            "--learning-rate|-0.5|--learning-rate -0.5: expected a positive number",
            "--learning-rate|fast|--learning-rate: 'fast' is not a number",
            "--layers|784,100,10|--layers 784,100,10 expects 784 inputs but the data has 64 pixels",
            "--layers|64,0,10|--layers 64,0,10: expected positive sizes",
            "--loss|hinge|unknown loss 'hinge'",
            "--init|random|unknown init 'random'",
            "--shards|many|--shards: 'many' is not a number",
            "--batch-size|5000|--batch-size 5000: larger than the 1200 training examples",
            "--shards|-1|--shards -1: expected auto or a whole number from 1 to 2048",
            "--shards|1500|--batch-size 512: expected at least --shards (1500)",
            "--momentum|1.5|--momentum 1.5: expected a number in [0, 1)",
            "--epochs|0|--epochs 0: expected a positive whole number",
            "--data|/no/such/folder|/no/such/folder: no such file or folder",
            "--optimizer|rmsprop|unknown optimizer 'rmsprop'",
            "--weight-decay|-1|--weight-decay -1.0: expected a number >= 0",
            "--dropout|1|--dropout 1.0: expected a rate in [0, 1)",
            "--input-dropout|-0.2|--input-dropout -0.2: expected a rate in [0, 1)",
            "--max-norm|-3|--max-norm -3.0: expected a number >= 0 (0 turns it off)",
            "--ema|1|--ema 1.0: expected a decay in [0, 1) (0 turns it off), e.g. 0.999",
            "--schedule|linear|unknown schedule 'linear'",
            "--warmup|-2|--warmup -2.0: expected a number of epochs >= 0",
            "--validation|-5|--validation -5: expected a whole number >= 0",
            "--validation|1200|--validation 1200: must be less than the 1200 training examples",
            "--patience|-1|--patience -1: expected a whole number >= 0",
            "--stop-after|0|--stop-after 0: expected a positive number of epochs",
            "--output|sigmoid|--output sigmoid: expected softmax with --loss ce",
            "--adam-epsilon|1e-50|--adam-epsilon 1.0e-50: expected a value float32 holds (this rounds to 0 in float32",
            "--master|local[0]|--master local[0]: Asked to run locally with 0 threads (expected local, local[N] with N >= 1",
            "--master|locl[2]|--master locl[2]: Could not parse Master URL",
            "--master|spark://|--master spark://: expected spark://HOST:PORT",
    })
    void badInputEndsWithOneClearLineAndExitCode2(String option, String value, String message) {
        Path out = dir.resolve("bad-" + option.substring(2) + value.hashCode());
        String[] args = option.equals("--data")
                ? new String[]{"train", "--data", value, "--epochs", "1", "--out", out.toString()}
                : option.equals("--master") ? new String[]{"train", "--data", data, "--out", out.toString(), option, value}
                : new String[]{"train", "--data", data, "--master", "local[2]", "--out", out.toString(), option, value};
        CliRun run = CliRun.of(args);
        assertEquals(2, run.exitCode(), run.err());
        assertEquals(1, run.errorLines().lines().count(), run.err());
        assertTrue(run.errorLines().contains(message), "expected '" + message + "' in: " + run.err());
        assertTrue(!run.err().contains("\tat "), "no stack trace: " + run.err());
        assertTrue(!Files.exists(out), "refused before anything was written: " + out);
    }

    @Test
    void anUnreachableMasterIsRefusedBeforeAnythingStarts() {
        Path out = dir.resolve("no-master");
        CliRun run = CliRun.of("train", "--data", data, "--master", "spark://127.0.0.1:1", "--out", out.toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.errorLines().contains("--master spark://127.0.0.1:1: cannot connect"), run.err());
        assertTrue(!Files.exists(out));
    }

    @Test
    void divergenceInTheFirstEpochEndsWithAClearLineAndLeavesNoHalfMadeRun() throws Exception {
        Path out = dir.resolve("diverging");
        // A linear net with squared error explodes once the warm-up brings the rate near 50.
        CliRun run = CliRun.of("train", "--data", data, "--layers", "64,24,10", "--activation", "identity", "--loss", "mse",
                "--output", "identity", "--epochs", "6", "--batch-size", "40", "--warmup", "2", "--learning-rate", "50",
                "--schedule", "constant", "--master", "local[2]", "--out", out.toString());
        assertEquals(2, run.exitCode(), run.out() + run.err());
        assertTrue(run.errorLines().contains("diverged") && run.errorLines().contains("lower --learning-rate"), run.err());
        assertTrue(run.errorLines().contains("epoch 1,"), run.err());
        assertTrue(!Files.exists(out), "a run that failed before its first checkpoint leaves no folder");
    }

    /** 64-30000-30000-10 is 0.9 G parameters: refused from the layer sizes, before the optimizer's arrays are allocated. */
    @Test
    void aNetworkTooLargeForTheHeapIsOneLineNamingTheSetting() throws Exception {
        Path out = dir.resolve("too-large");
        CliRun run = CliRun.of("train", "--data", data, "--layers", "64,30000,30000,10", "--master", "local[2]", "--out", out.toString());
        assertEquals(2, run.exitCode(), run.err());
        assertEquals(1, run.errorLines().lines().count(), run.err());
        assertTrue(run.errorLines().contains("--layers 64-30000-30000-10: its 902,280,010 parameters need at least")
                && run.errorLines().contains("of the driver's heap") && run.errorLines().contains("spark.driver.memory"), run.err());
        assertTrue(!run.err().contains("OutOfMemoryError") && !run.err().contains("\tat "), run.err());
        assertTrue(!Files.exists(out), "nothing left behind");
    }

    /**
     * A real full disk: --out on a tmpfs of 40 KB, which the run fills. Hadoop's local file system throws an FSError (an
     * Error) for the failed write; the user gets one line naming the file, exit 2, and no half-written file.
     */
    @Test
    void aFullDiskUnderOutIsOneLineNamingTheFile() throws Exception {
        Path disk = Files.createDirectories(dir.resolve("small-disk"));
        int mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", disk.toString()).inheritIO().start().waitFor();
        org.junit.jupiter.api.Assumptions.assumeTrue(mounted == 0, "needs root to mount a 40 KB tmpfs");
        try {
            Path out = disk.resolve("run");
            CliRun run = CliRun.of("train", "--data", data, "--layers", "64,200,10", "--epochs", "3", "--master", "local[2]", "--out", out.toString());
            assertEquals(2, run.exitCode(), run.out() + run.err());
            assertEquals(1, run.errorLines().lines().count(), run.err());
            assertTrue(run.errorLines().startsWith("error: cannot write " + out + "/") && run.errorLines().contains(": No space left on device"), run.err());
            assertTrue(!run.err().contains("FSError") && !run.err().contains("\tat "), run.err());
            try (java.util.stream.Stream<Path> left = Files.walk(disk)) {
                assertEquals(java.util.List.of(), left.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no half-written file");
            }
        } finally {
            new ProcessBuilder("umount", disk.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void aLabelOutOfRangeFoundByAnExecutorIsOneLineAndExitCode2() throws Exception {
        Path bad = dir.resolve("bad-labels");
        Fixtures.syntheticMnist(bad, 100, 20, 8, false, 4);
        byte[] labels = Files.readAllBytes(bad.resolve("train-labels-idx1-ubyte"));
        labels[8 + 57] = 12; // example 57 says it is a "12"
        Files.write(bad.resolve("train-labels-idx1-ubyte"), labels);
        Path out = dir.resolve("bad-labels-run");
        CliRun run = CliRun.of("train", "--data", bad.toString(), "--layers", "64,10", "--batch-size", "20", "--master", "local[2]",
                "--out", out.toString());
        assertEquals(2, run.exitCode(), run.err());
        assertEquals(1, run.errorLines().lines().count(), run.err());
        assertTrue(run.errorLines().contains("train-labels-idx1-ubyte: label 12 of example 57 is out of range 0..9"), "named by the labels file: " + run.err());
        assertTrue(!run.err().contains("\tat "), "no stack trace: " + run.err());
        assertTrue(!Files.exists(out), "nothing left behind");
    }

    @Test
    void patienceStopsEarlyAndKeepsTheBestEpochByValidationLoss() throws Exception {
        Path out = dir.resolve("patience");
        CliRun run = CliRun.of("train", "--data", data, "--layers", "64,24,10", "--epochs", "30", "--batch-size", "40",
                "--validation", "200", "--patience", "2", "--schedule", "constant", "--learning-rate", "0.3", "--master", "local[2]",
                "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertTrue(summary.get("stopped_early").asBoolean(), summary.toString());
        assertTrue(lines.size() < 30, lines.size() + " epochs");
        int best = summary.get("best_epoch").asInt();
        assertEquals(lines.size() - 2, best, "stopped two epochs after the best");
        double bestLoss = Double.MAX_VALUE;
        int argmin = 0;
        for (String l : lines) {
            JsonNode m = new ObjectMapper().readTree(l);
            if (m.get("val_loss").asDouble() < bestLoss) {
                bestLoss = m.get("val_loss").asDouble();
                argmin = m.get("epoch").asInt();
            }
        }
        assertEquals(argmin, best, "the kept epoch has the lowest validation loss");
        assertEquals(new ObjectMapper().readTree(lines.get(best - 1)).get("test_accuracy").asDouble(),
                summary.get("test_accuracy").asDouble(), 1e-12);
    }

    @Test
    void unknownOptionIsExitCode2() {
        CliRun run = CliRun.of("train", "--learning-rat", "0.1");
        assertEquals(2, run.exitCode());
        assertTrue(run.errorLines().contains("--learning-rat"), run.err());
    }

    @Test
    void anExistingRunFolderIsNotOverwritten() throws Exception {
        Path out = dir.resolve("taken");
        Files.createDirectories(out);
        Files.writeString(out.resolve("model.bin"), "precious");
        CliRun run = CliRun.of("train", "--data", data, "--out", out.toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.errorLines().contains("already exists"), run.err());
        assertEquals("precious", Files.readString(out.resolve("model.bin")));
    }

    @Test
    void configFileValuesAreUsedAndCommandLineWins() throws Exception {
        Path config = dir.resolve("my.properties");
        Files.writeString(config, "learning-rate=-3\nlayers=64,12,10\n");
        CliRun bad = CliRun.of("train", "--data", data, "--config", config.toString(), "--out", dir.resolve("c1").toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.errorLines().contains("--learning-rate -3.0"), bad.err());
        Files.writeString(config, "colour=blue\n");
        CliRun unknown = CliRun.of("train", "--data", data, "--config", config.toString(), "--out", dir.resolve("c2").toString());
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.errorLines().contains("unknown setting 'colour'"), unknown.err());
        // Defaults < file < command line: the file's values are used, the command line's win, the rest are the defaults.
        Files.writeString(config, "layers=64,12,10\nepochs=2\nlearning-rate=0.2\nbatch-size=40\n");
        Path out = dir.resolve("c3");
        CliRun good = CliRun.of("train", "--data", data, "--config", config.toString(), "--learning-rate", "0.3", "--master", "local[2]",
                "--out", out.toString());
        assertEquals(0, good.exitCode(), good.err());
        JsonNode used = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("config");
        assertEquals("64,12,10", used.get("layers").asText(), "from the file");
        assertEquals("2", used.get("epochs").asText(), "from the file");
        assertEquals("0.3", used.get("learning-rate").asText(), "the command line wins over the file");
        assertEquals(sparkprop.train.Options.defaults().get("momentum"), used.get("momentum").asText(), "the default");
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        assertTrue(good.out().contains("64-12-10"), good.out());
    }

    @Test
    void gradcheckCommandPasses() {
        CliRun run = CliRun.of("gradcheck");
        assertEquals(0, run.exitCode(), run.out());
        assertTrue(run.out().contains("all gradients match"));
    }
}
