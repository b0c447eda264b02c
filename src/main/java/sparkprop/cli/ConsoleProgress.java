package sparkprop.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import sparkprop.train.EpochMetrics;
import sparkprop.train.TrainingListener;
import sparkprop.train.TrainingState;

/**
 * What a person watching sees: on a terminal a one-line bar per epoch (steps, loss, samples/s,
 * ETA) on stderr; otherwise a plain line every 15 s during long epochs. Either way a summary line
 * per epoch on stdout.
 */
final class ConsoleProgress implements TrainingListener {
    private static final double PLAIN_LINE_SECONDS = 15;
    private final int epochs;
    private final boolean terminal;
    private final PrintStream out;
    private ProgressBar bar;
    private double lastPlainLine;

    ConsoleProgress(int epochs, PrintStream out) {
        this.epochs = epochs;
        this.terminal = System.console() != null;
        this.out = out;
    }

    @Override
    public void stepFinished(int epoch, int step, int steps, double meanLoss, long examplesSoFar, double secondsSoFar) {
        String status = String.format("loss %.4f, %,.0f samples/s", meanLoss, examplesSoFar / Math.max(secondsSoFar, 1e-9));
        if (terminal) {
            if (bar == null) {
                bar = new ProgressBarBuilder().setTaskName(String.format("epoch %d/%d", epoch + 1, epochs)).setInitialMax(steps)
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setMaxRenderedLength(110)
                        .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
            }
            bar.stepTo(step + 1);
            bar.setExtraMessage(status);
        } else if (secondsSoFar - lastPlainLine >= PLAIN_LINE_SECONDS) {
            lastPlainLine = secondsSoFar;
            out.printf("epoch %d/%d: step %d/%d, %s%n", epoch + 1, epochs, step + 1, steps, status);
        }
    }

    @Override
    public void note(String line) {
        // On its own line, not over the bar: the bar's line is ended first and redrawn at the next step.
        if (bar != null) System.err.println();
        out.println(line);
    }

    @Override
    public void epochFinished(EpochMetrics m, TrainingState state) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        lastPlainLine = 0;
        out.printf("epoch %3d/%d  train loss %.4f%s  test acc %.2f%% (loss %.4f)  %.1f s  %,.0f samples/s%n",
                m.epoch(), epochs, m.trainLoss(),
                Double.isNaN(m.valLoss()) ? "" : String.format("  val loss %.4f acc %.2f%%", m.valLoss(), 100 * m.valAccuracy()),
                100 * m.testAccuracy(), m.testLoss(), m.epochSeconds(), m.samplesPerSecond());
    }
}
