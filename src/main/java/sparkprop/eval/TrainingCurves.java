package sparkprop.eval;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import sparkprop.train.EpochMetrics;

/** curves.png: loss (train, validation) and accuracy (validation, test) per epoch, side by side. */
public final class TrainingCurves {
    private TrainingCurves() {
    }

    public static byte[] png(List<EpochMetrics> history) {
        XYChart loss = chart("Loss", "mean loss");
        add(loss, "train", history, EpochMetrics::trainLoss);
        add(loss, "validation", history, EpochMetrics::valLoss);
        add(loss, "test", history, EpochMetrics::testLoss);
        XYChart accuracy = chart("Accuracy", "accuracy (%)");
        add(accuracy, "validation", history, m -> 100 * m.valAccuracy());
        add(accuracy, "test", history, m -> 100 * m.testAccuracy());
        return DigitImages.png(sideBySide(loss, accuracy));
    }

    /** Two charts drawn next to each other on white. */
    public static BufferedImage sideBySide(XYChart leftChart, XYChart rightChart) {
        BufferedImage left = BitmapEncoder.getBufferedImage(leftChart), right = BitmapEncoder.getBufferedImage(rightChart);
        BufferedImage both = new BufferedImage(left.getWidth() + right.getWidth(), Math.max(left.getHeight(), right.getHeight()),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, both.getWidth(), both.getHeight());
        g.drawImage(left, 0, 0, null);
        g.drawImage(right, left.getWidth(), 0, null);
        g.dispose();
        return both;
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(560).height(410).title(title).xAxisTitle("epoch").yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        // Below the plot, not inside it: inside, the legend hid the last epoch's point, the number that matters most.
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        chart.getStyler().setDecimalPattern("#0.####");
        return chart;
    }

    /** Adds a series unless it has no finite value (e.g. validation when nothing is held out). */
    private static void add(XYChart chart, String name, List<EpochMetrics> history, ToDoubleFunction<EpochMetrics> value) {
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        for (EpochMetrics m : history) {
            double v = value.applyAsDouble(m);
            if (Double.isFinite(v)) {
                x.add((double) m.epoch());
                y.add(v);
            }
        }
        if (!y.isEmpty()) chart.addSeries(name, x, y).setMarker(SeriesMarkers.CIRCLE);
    }
}
