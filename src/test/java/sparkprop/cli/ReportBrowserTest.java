package sparkprop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.data.Fixtures;

/** The training and evaluation reports open in a real headless browser with no errors and every image decoded. */
class ReportBrowserTest {
    @TempDir
    static Path dir;
    static Path run;
    static Path eval;

    @BeforeAll
    static void trainAndEvaluate() throws Exception {
        String data = Fixtures.syntheticMnist(dir.resolve("mnist"), 900, 200, 28, false, 5).toString();
        run = dir.resolve("run");
        // Under-trained on purpose (tiny rate, two epochs), so the gallery of mistakes has pictures in it.
        assertEquals(0, CliRun.of("train", "--data", data, "--layers", "784,16,10", "--epochs", "2", "--batch-size", "30",
                "--learning-rate", "0.00005", "--validation", "90", "--master", "local[2]", "--out", run.toString()).exitCode());
        eval = dir.resolve("eval");
        assertEquals(0, CliRun.of("evaluate", "--model", run.resolve("model.bin").toString(), "--data", data, "--out", eval.toString(),
                "--master", "local[2]").exitCode());
    }

    @Test
    void trainingWritesCurvesAndAReport() throws Exception {
        assertTrue(ImageIO.read(run.resolve("curves.png").toFile()).getWidth() > 800);
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains("Training curves") && html.contains("Confusion matrix") && html.contains("Worst-misclassified")
                && html.contains("learning-rate"), "sections present");
        assertTrue(!html.contains("src=\"http") && !html.contains("<link"), "self-contained");
    }

    @Test
    void reportsOpenInHeadlessChromiumWithEveryImage() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "chromium is not installed (.ci/run installs it)");
        for (Path page : List.of(run.resolve("report.html"), eval.resolve("report.html"))) {
            Path profile = Files.createTempDirectory(dir, "chromium");
            Process p = new ProcessBuilder("/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom",
                    page.toUri().toString()).redirectError(dir.resolve("chromium.err").toFile()).start();
            String dom = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished");
            String log = Files.readString(dir.resolve("chromium.err"));
            Matcher loaded = Pattern.compile("data-images-loaded=\"(\\d+)/(\\d+)\"").matcher(dom);
            assertTrue(loaded.find(), "the page's load script ran: " + dom.substring(0, Math.min(300, dom.length())));
            assertEquals(loaded.group(2), loaded.group(1), "images decoded in " + page);
            assertTrue(Integer.parseInt(loaded.group(2)) >= 2, "images present in " + page);
            assertTrue(log.lines().noneMatch(l -> l.contains("CONSOLE") && (l.contains("Uncaught") || l.contains("Error"))),
                    "no page errors: " + log);
        }
    }
}
