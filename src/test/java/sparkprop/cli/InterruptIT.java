package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Fixtures;

/**
 * Ctrl-C is the user's choice: scripts/train interrupted with SIGINT after its first epoch says in
 * one line where it was and how to continue, exits 130 with no error line, keeps its checkpoint,
 * and the run continues from it.
 */
class InterruptIT {
    @TempDir
    Path dir;

    @Test
    void ctrlCSaysWhereTheRunStoppedAndKeepsTheCheckpoint() throws Exception {
        String data = Fixtures.syntheticMnist(dir.resolve("data"), 6000, 200, 8, false, 5).toString();
        Path out = dir.resolve("run");
        Process train = Scripts.start(dir.resolve("logs"), "scripts/train", "--data", data, "--layers", "64,256,10", "--batch-size", "16",
                "--epochs", "40", "--master", "local[2]", "--out", out.toString());
        StringBuilder output = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(train.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean sent = false;
            while ((line = lines.readLine()) != null) {
                output.append(line).append('\n');
                // After the first epoch's line (its checkpoint is written before it), within the second epoch.
                if (!sent && line.startsWith("epoch   1/40")) {
                    TimeUnit.MILLISECONDS.sleep(300);
                    new ProcessBuilder("kill", "-INT", String.valueOf(train.pid())).inheritIO().start().waitFor();
                    sent = true;
                }
            }
        }
        assertTrue(train.waitFor(120, TimeUnit.SECONDS), "the run ended after Ctrl-C");
        String text = output.toString();
        assertEquals(130, train.exitValue(), text);
        Matcher m = Pattern.compile("interrupted at epoch (\\d+), step (\\d+) of (\\d+); resume with --resume (\\S+), from the checkpoint after epoch (\\d+)")
                .matcher(text);
        assertTrue(m.find(), text);
        int epoch = Integer.parseInt(m.group(1)), kept = Integer.parseInt(m.group(5));
        assertTrue(epoch >= 2 && (kept == epoch - 1 || kept == epoch), text);
        assertEquals(out.toString(), m.group(4));
        assertTrue(text.lines().noneMatch(l -> l.startsWith("error:")), "no error line: " + text);
        assertTrue(Files.exists(out.resolve("checkpoint.bin")), "the checkpoint is kept");

        // Nothing was written after the line: the run resumes from the checkpoint it named.
        Scripts.Result resumed = Scripts.run(dir.resolve("logs"), 300, "scripts/train", "--resume", out.toString(), "--stop-after",
                String.valueOf(kept + 1));
        assertEquals(0, resumed.code(), resumed.output());
        assertTrue(resumed.output().contains("resuming after epoch " + kept), resumed.output());
    }
}
