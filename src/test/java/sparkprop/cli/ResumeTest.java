package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Fixtures;
import sparkprop.train.Checkpoint;
import sparkprop.train.CheckpointFiles;

/** Stopping after epoch 2 and resuming ends bit-identical to a run that never stopped. */
class ResumeTest {
    @TempDir
    static Path dir;
    static String data;

    @BeforeAll
    static void makeData() throws Exception {
        data = Fixtures.syntheticMnist(dir.resolve("mnist"), 900, 200, 8, false, 12).toString();
    }

    private static String[] args(Path out, String... more) {
        String[] base = {"train", "--data", data, "--layers", "64,20,10", "--epochs", "4", "--batch-size", "30", "--validation", "90",
                "--optimizer", "adam", "--learning-rate", "0.003", "--schedule", "cosine", "--warmup", "0.5", "--master", "local[2]",
                "--out", out.toString()};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void resumeAfterEpochTwoIsBitIdenticalToAnUninterruptedRun() throws Exception {
        assertResumeIsBitIdentical("plain");
    }

    @Test
    void resumeKeepsTheParameterAverage() throws Exception {
        assertResumeIsBitIdentical("ema", "--ema", "0.95");
        Checkpoint.Loaded loaded = CheckpointFiles.load(dir.resolve("ema-split").resolve("checkpoint.bin"));
        assertTrue(loaded.state().average() != null && loaded.config().ema() == 0.95, "the checkpoint carries the average");
    }

    @Test
    void resumeContinuesTheAugmentationWhereItStopped() throws Exception {
        assertResumeIsBitIdentical("augment", "--augment", "shift=1,rotate=10,elastic-alpha=6,elastic-sigma=1.5");
    }

    private static void assertResumeIsBitIdentical(String name, String... options) throws Exception {
        Path whole = dir.resolve(name + "-whole"), split = dir.resolve(name + "-split");
        assertEquals(0, CliRun.of(args(whole, options)).exitCode());

        String[] stopping = java.util.Arrays.copyOf(options, options.length + 2);
        stopping[options.length] = "--stop-after";
        stopping[options.length + 1] = "2";
        CliRun first = CliRun.of(args(split, stopping));
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.out().contains("continue with --resume"), first.out());
        assertEquals(2, Files.readAllLines(split.resolve("metrics.jsonl")).size());

        // What a crash in the middle of writing leaves: a temporary file beside the real ones.
        Files.writeString(split.resolve(".checkpoint.bin.tmp"), "half a checkpoint");
        CliRun second = CliRun.of("train", "--resume", split.toString(), "--master", "local[1]");
        assertTrue(!Files.exists(split.resolve(".checkpoint.bin.tmp")), "leftover temporary file cleaned");
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(second.out().contains("resuming after epoch 2"), second.out());
        assertTrue(!second.out().contains("BLAS kernel"), "same kernel, no note: " + second.out());

        assertArrayEquals(Files.readAllBytes(whole.resolve("model.bin")), Files.readAllBytes(split.resolve("model.bin")));
        // Checkpoints hold timings too, so compare what the loop carries: parameters and optimizer state.
        Checkpoint.Loaded a = CheckpointFiles.load(whole.resolve("checkpoint.bin")), b = CheckpointFiles.load(split.resolve("checkpoint.bin"));
        assertArrayEquals(a.state().params(), b.state().params());
        assertEquals(a.state().optimizer().state().keySet(), b.state().optimizer().state().keySet());
        for (String part : a.state().optimizer().state().keySet()) {
            assertArrayEquals(a.state().optimizer().state().get(part), b.state().optimizer().state().get(part), part);
        }
        if (a.state().average() != null || b.state().average() != null) assertArrayEquals(a.state().average(), b.state().average());
        assertEquals(a.state().selection().bestEpoch(), b.state().selection().bestEpoch());
        assertEquals(4, Files.readAllLines(split.resolve("metrics.jsonl")).size());
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(whole.resolve("summary.json").toFile()).get("model_sha256"),
                json.readTree(split.resolve("summary.json").toFile()).get("model_sha256"));
        assertTrue(json.readTree(split.resolve("summary.json").toFile()).get("complete").asBoolean());
    }

    /**
     * With --checkpoint-every 10 (25 steps an epoch) the checkpoint before the last, which a crash
     * late in epoch 4 would have left, is the one after step 15 of epoch 4: resumed from it, the
     * run ends in the same model.
     */
    @Test
    void aCheckpointWithinAnEpochResumesToTheSameBits() throws Exception {
        Path whole = dir.resolve("every-whole"), crashed = dir.resolve("every-crashed");
        CliRun run = CliRun.of(args(whole, "--checkpoint-every", "10"));
        assertEquals(0, run.exitCode(), run.err());
        Files.createDirectories(crashed);
        for (String name : new String[]{"checkpoint.previous.bin", "metrics.jsonl", ".sparkprop-run"}) {
            Files.copy(whole.resolve(name), crashed.resolve(name.equals("checkpoint.previous.bin") ? "checkpoint.bin" : name));
        }
        Checkpoint.Loaded mid = CheckpointFiles.load(crashed.resolve("checkpoint.bin"));
        assertEquals(3, mid.state().epochsDone());
        assertEquals(15, mid.state().epochProgress().stepsDone());

        CliRun resumed = CliRun.of("train", "--resume", crashed.toString(), "--master", "local[2]");
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.out().contains("resuming after epoch 3 and step 15 of epoch 4:"), resumed.out());
        assertArrayEquals(Files.readAllBytes(whole.resolve("model.bin")), Files.readAllBytes(crashed.resolve("model.bin")));
        ObjectMapper json = new ObjectMapper();
        List<String> a = Files.readAllLines(whole.resolve("metrics.jsonl")), b = Files.readAllLines(crashed.resolve("metrics.jsonl"));
        assertEquals(4, b.size());
        assertEquals(json.readTree(a.get(3)).get("train_loss"), json.readTree(b.get(3)).get("train_loss"), "epoch 4's loss over all its steps");

        CliRun bad = CliRun.of(args(dir.resolve("every-bad"), "--checkpoint-every", "-1"));
        assertEquals(2, bad.exitCode());
        assertTrue(bad.errorLines().contains("--checkpoint-every -1: expected 0 (epoch ends only) or a positive whole number of steps"), bad.err());
    }

    /** The checkpoint records the kernel family; resuming on another says the bits will not be the first run's. */
    @Test
    void resumingOnAnotherBlasKernelSaysSo() throws Exception {
        Path run = dir.resolve("kernel");
        assertEquals(0, CliRun.of(args(run, "--stop-after", "1")).exitCode());
        Path file = run.resolve("checkpoint.bin");
        Checkpoint.Loaded loaded = CheckpointFiles.load(file);
        String own = System.getenv("OPENBLAS_CORETYPE");
        assertEquals(own == null || own.isBlank() ? "per-node" : own, loaded.blasKernel());
        Files.write(file, Checkpoint.encode(loaded.config(), loaded.dataSettings(), new Checkpoint.Blas("Sandybridge", java.util.List.of()),
                loaded.state()));
        CliRun resumed = CliRun.of("train", "--resume", run.toString());
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.out().contains("note: the checkpoint was trained with BLAS kernel Sandybridge and this run uses "), resumed.out());
    }

    @Test
    void divergenceAfterAGoodEpochKeepsTheLastGoodCheckpointAndBestModel() throws Exception {
        Path run = dir.resolve("diverges");
        assertEquals(0, CliRun.of(args(run, "--stop-after", "1")).exitCode());
        byte[] model = Files.readAllBytes(run.resolve("model.bin"));
        // Parameters so large that the next forward pass overflows: the state a runaway rate leads to.
        Checkpoint.Loaded good = CheckpointFiles.load(run.resolve("checkpoint.bin"));
        for (int i = 0; i < good.state().params().length; i++) good.state().params()[i] *= 1e30f;
        CheckpointFiles.save(run.resolve("checkpoint.bin"), good.config(), good.data(), good.state());
        byte[] checkpoint = Files.readAllBytes(run.resolve("checkpoint.bin"));

        CliRun resumed = CliRun.of("train", "--resume", run.toString());
        assertEquals(2, resumed.exitCode(), resumed.err());
        assertTrue(resumed.errorLines().contains("training diverged at epoch 2, step 1"), resumed.err());
        assertTrue(resumed.errorLines().contains("try a lower --learning-rate"), resumed.err());
        assertArrayEquals(checkpoint, Files.readAllBytes(run.resolve("checkpoint.bin")), "last checkpoint intact");
        assertArrayEquals(model, Files.readAllBytes(run.resolve("model.bin")), "best model intact");
        assertEquals(1, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    }

    @Test
    void stopAfterAtOrBelowTheEpochsDoneIsRefusedAndTouchesNothing() throws Exception {
        Path run = dir.resolve("already-past");
        assertEquals(0, CliRun.of(args(run, "--stop-after", "2")).exitCode());
        Map<String, byte[]> before = new java.util.TreeMap<>();
        try (var files = Files.list(run)) {
            for (Path f : files.toList()) before.put(f.getFileName().toString(), Files.readAllBytes(f));
        }
        for (String n : new String[]{"1", "2"}) {
            CliRun again = CliRun.of("train", "--resume", run.toString(), "--stop-after", n);
            assertEquals(2, again.exitCode(), again.err());
            assertTrue(again.errorLines().contains("--stop-after " + n + ": the run in " + run + " is already past it (2 epochs done)"), again.err());
        }
        try (var files = Files.list(run)) {
            List<Path> after = files.toList();
            assertEquals(before.keySet(), new java.util.TreeSet<>(after.stream().map(p -> p.getFileName().toString()).toList()));
            for (Path f : after) assertArrayEquals(before.get(f.getFileName().toString()), Files.readAllBytes(f), f + " untouched");
        }
    }

    @Test
    void aCorruptCheckpointIsRefusedByName() throws Exception {
        Path run = dir.resolve("corrupt");
        assertEquals(0, CliRun.of(args(run, "--stop-after", "1")).exitCode());
        byte[] bytes = Files.readAllBytes(run.resolve("checkpoint.bin"));
        Files.write(run.resolve("checkpoint.bin"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        CliRun resumed = CliRun.of("train", "--resume", run.toString());
        assertEquals(2, resumed.exitCode());
        assertTrue(resumed.errorLines().contains("checkpoint.bin: checksum mismatch"), resumed.err());
    }

    @Test
    void resumeRefusesOtherSettingsAndMissingCheckpoints() {
        CliRun withSettings = CliRun.of("train", "--resume", dir.toString(), "--epochs", "9");
        assertEquals(2, withSettings.exitCode());
        assertTrue(withSettings.errorLines().contains("only --master and --stop-after"), withSettings.err());
        CliRun missing = CliRun.of("train", "--resume", dir.resolve("nothing-here").toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.errorLines().contains("no checkpoint here"), missing.err());
    }

    /** Refusing a folder that holds no checkpoint touches nothing in it, not even files that look temporary. */
    @Test
    void resumingAFolderThatIsNotARunLeavesItsFilesAlone() throws Exception {
        Path notARun = dir.resolve("not-a-run");
        java.nio.file.Files.createDirectories(notARun);
        java.nio.file.Files.writeString(notARun.resolve(".draft.tmp"), "someone's work in progress");
        java.nio.file.Files.writeString(notARun.resolve("notes.txt"), "notes");
        CliRun refused = CliRun.of("train", "--resume", notARun.toString());
        assertEquals(2, refused.exitCode());
        assertTrue(refused.errorLines().contains("no checkpoint here"), refused.err());
        assertTrue(java.nio.file.Files.exists(notARun.resolve(".draft.tmp")), "the temporary-looking file is still there");
        assertTrue(java.nio.file.Files.exists(notARun.resolve("notes.txt")));
    }

    @Test
    void aCorruptNewestCheckpointFallsBackToThePreviousOneAndEndsBitIdentical() throws Exception {
        Path whole = dir.resolve("fallback-whole"), split = dir.resolve("fallback-split");
        assertEquals(0, CliRun.of(args(whole)).exitCode());
        assertEquals(0, CliRun.of(args(split, "--stop-after", "2")).exitCode());
        assertEquals(1, CheckpointFiles.load(split.resolve("checkpoint.previous.bin")).state().epochsDone(), "the one before is kept");
        byte[] bytes = Files.readAllBytes(split.resolve("checkpoint.bin"));
        Files.write(split.resolve("checkpoint.bin"), java.util.Arrays.copyOf(bytes, bytes.length - 100));

        CliRun resumed = CliRun.of("train", "--resume", split.toString());
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.out().contains("checkpoint.bin: checksum mismatch (the checkpoint is truncated or corrupt); continuing from "
                + "checkpoint.previous.bin (after epoch 1)"), resumed.out());
        assertTrue(resumed.out().contains("resuming after epoch 1"), resumed.out());
        assertArrayEquals(Files.readAllBytes(whole.resolve("model.bin")), Files.readAllBytes(split.resolve("model.bin")));
        assertEquals(4, Files.readAllLines(split.resolve("metrics.jsonl")).size());
    }

    @Test
    void resumeIfExistsStartsAgainWhatNeverFinishedAnEpoch() throws Exception {
        Path run = dir.resolve("no-epoch-yet"), reference = dir.resolve("no-epoch-reference");
        assertEquals(0, CliRun.of(args(reference, "--stop-after", "1")).exitCode());
        // What a driver killed during its first epoch leaves: the empty metrics file and a temporary file.
        Files.createDirectories(run);
        Files.writeString(run.resolve("metrics.jsonl"), "");
        Files.writeString(run.resolve(".model.bin.tmp"), "half");
        CliRun r = CliRun.of(args(run, "--resume-if-exists", "--stop-after", "1"));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("holds a run that never finished an epoch; starting it again"), r.out());
        assertArrayEquals(Files.readAllBytes(reference.resolve("model.bin")), Files.readAllBytes(run.resolve("model.bin")));
        assertTrue(!Files.exists(run.resolve(".model.bin.tmp")));

        CliRun both = CliRun.of("train", "--resume", run.toString(), "--resume-if-exists");
        assertEquals(2, both.exitCode());
        CliRun noOut = CliRun.of("train", "--data", "x", "--resume-if-exists");
        assertEquals(2, noOut.exitCode());
        assertTrue(noOut.errorLines().contains("--resume-if-exists needs --out"), noOut.err());
    }

    /**
     * A checkpoint knows its data: resumed onto other examples (fewer, or the same count drawn differently) it is
     * refused in one line naming the difference, exit 2, the run folder untouched; --allow-other-data continues.
     */
    @Test
    void resumingOntoOtherDataIsRefusedUnlessAllowed() throws Exception {
        Path run = dir.resolve("other-data");
        CliRun first = CliRun.of(args(run, "--stop-after", "1"));
        assertEquals(0, first.exitCode(), first.err());
        Checkpoint.Loaded recorded = CheckpointFiles.load(run.resolve("checkpoint.bin"));
        assertEquals(900, recorded.identity().trainExamples(), recorded.identity().toString());
        assertEquals(200, recorded.identity().testExamples(), recorded.identity().toString());
        byte[] before = Files.readAllBytes(run.resolve("checkpoint.bin"));
        String fewer = Fixtures.syntheticMnist(dir.resolve("fewer"), 600, 200, 8, false, 12).toString();
        CliRun refused = CliRun.of("train", "--resume", run.toString(), "--data", fewer, "--master", "local[2]");
        assertEquals(2, refused.exitCode(), refused.out() + refused.err());
        assertTrue(refused.err().contains("error: --resume: the checkpoint in " + run + " was trained on other data than " + fewer
                + ": 600 training examples, not 900 (--allow-other-data continues on this data anyway)"), refused.err());
        assertEquals(1, refused.err().lines().filter(l -> l.startsWith("error:")).count(), refused.err());
        String redrawn = Fixtures.syntheticMnist(dir.resolve("redrawn"), 900, 200, 8, false, 13).toString();
        CliRun same = CliRun.of("train", "--resume", run.toString(), "--data", redrawn, "--master", "local[2]");
        assertEquals(2, same.exitCode(), same.err());
        assertTrue(same.err().contains("the same counts but other examples (fingerprint "), same.err());
        assertArrayEquals(before, Files.readAllBytes(run.resolve("checkpoint.bin")), "nothing written");
        CliRun allowed = CliRun.of("train", "--resume", run.toString(), "--data", redrawn, "--master", "local[2]", "--allow-other-data");
        assertEquals(0, allowed.exitCode(), allowed.err());
        assertTrue(allowed.out().contains("continuing on it, as --allow-other-data asks"), allowed.out());
        CliRun again = CliRun.of("train", "--resume", run.toString(), "--master", "local[2]");
        assertEquals(2, again.exitCode(), "the run is complete: " + again.err());
    }
}
