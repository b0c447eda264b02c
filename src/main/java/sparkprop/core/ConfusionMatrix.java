package sparkprop.core;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Counts of (true class, predicted class) and the summed loss; adds up across partitions. Every
 * metric is derived from the counts: accuracy, per-class precision, recall, F1 and support,
 * their macro (plain) and weighted (by support) means, and the most frequent confusions.
 */
public final class ConfusionMatrix implements Serializable {
    private final long[][] counts; // [true][predicted]
    private double lossSum;

    public ConfusionMatrix(int classes) {
        this.counts = new long[classes][classes];
    }

    public int classes() {
        return counts.length;
    }

    public void add(int truth, int predicted) {
        counts[truth][predicted]++;
    }

    /** {@code n} examples of class {@code truth} predicted as {@code predicted}. */
    public void add(int truth, int predicted, long n) {
        counts[truth][predicted] += n;
    }

    public void addLoss(double loss) {
        lossSum += loss;
    }

    public ConfusionMatrix merge(ConfusionMatrix other) {
        for (int i = 0; i < counts.length; i++) for (int j = 0; j < counts.length; j++) counts[i][j] += other.counts[i][j];
        lossSum += other.lossSum;
        return this;
    }

    public long count(int truth, int predicted) {
        return counts[truth][predicted];
    }

    public long total() {
        long n = 0;
        for (long[] row : counts) for (long c : row) n += c;
        return n;
    }

    public long correct() {
        long n = 0;
        for (int i = 0; i < counts.length; i++) n += counts[i][i];
        return n;
    }

    public double accuracy() {
        return (double) correct() / total();
    }

    public double meanLoss() {
        return lossSum / total();
    }

    /** Examples whose true class is c. */
    public long support(int c) {
        long n = 0;
        for (long v : counts[c]) n += v;
        return n;
    }

    private long predicted(int c) {
        long n = 0;
        for (long[] row : counts) n += row[c];
        return n;
    }

    /** Of the examples predicted c, the share that are c; 0 when nothing was predicted c. */
    public double precision(int c) {
        long p = predicted(c);
        return p == 0 ? 0 : (double) counts[c][c] / p;
    }

    public double recall(int c) {
        long s = support(c);
        return s == 0 ? 0 : (double) counts[c][c] / s;
    }

    public double f1(int c) {
        double p = precision(c), r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public interface PerClass {
        double of(int c);
    }

    public double macro(PerClass metric) {
        double s = 0;
        for (int c = 0; c < classes(); c++) s += metric.of(c);
        return s / classes();
    }

    public double weighted(PerClass metric) {
        double s = 0;
        for (int c = 0; c < classes(); c++) s += metric.of(c) * support(c);
        return s / total();
    }

    /** An off-diagonal cell: how often {@code truth} was taken for {@code predicted}. */
    public record Confusion(int truth, int predicted, long count) {
    }

    /** The largest off-diagonal cells, most frequent first. */
    public List<Confusion> topConfusions(int limit) {
        List<Confusion> all = new ArrayList<>();
        for (int i = 0; i < classes(); i++) {
            for (int j = 0; j < classes(); j++) if (i != j && counts[i][j] > 0) all.add(new Confusion(i, j, counts[i][j]));
        }
        all.sort(Comparator.comparingLong(Confusion::count).reversed().thenComparingInt(Confusion::truth).thenComparingInt(Confusion::predicted));
        return all.subList(0, Math.min(limit, all.size()));
    }

    /** Rows of true class, as written to metrics.json. */
    public long[][] rows() {
        long[][] copy = new long[classes()][];
        for (int i = 0; i < classes(); i++) copy[i] = counts[i].clone();
        return copy;
    }
}
