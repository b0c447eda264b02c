package sparkprop.eval;

import sparkprop.core.ConfusionMatrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A confusion matrix as people read it (a table) and as tools read it (the metrics.json map). */
public final class EvaluationReport {
    private EvaluationReport() {
    }

    public static String table(ConfusionMatrix m) {
        int k = m.classes();
        StringBuilder s = new StringBuilder();
        s.append(String.format("accuracy %.2f%% (%d of %d correct), mean loss %.4f%n%n", 100 * m.accuracy(), m.correct(), m.total(), m.meanLoss()));
        s.append("confusion matrix (rows: true class, columns: predicted class)\n      ");
        for (int j = 0; j < k; j++) s.append(String.format("%6d", j));
        s.append('\n');
        for (int i = 0; i < k; i++) {
            s.append(String.format("%6d", i));
            for (int j = 0; j < k; j++) s.append(String.format("%6d", m.count(i, j)));
            s.append('\n');
        }
        s.append(String.format("%nclass         precision  recall     f1   support%n"));
        for (int c = 0; c < k; c++) {
            s.append(String.format("%-12d  %9.4f  %6.4f  %6.4f  %8d%n", c, m.precision(c), m.recall(c), m.f1(c), m.support(c)));
        }
        s.append(String.format("%-12s  %9.4f  %6.4f  %6.4f  %8d%n", "macro avg", m.macro(m::precision), m.macro(m::recall), m.macro(m::f1), m.total()));
        s.append(String.format("%-12s  %9.4f  %6.4f  %6.4f  %8d%n", "weighted avg", m.weighted(m::precision), m.weighted(m::recall),
                m.weighted(m::f1), m.total()));
        List<ConfusionMatrix.Confusion> top = m.topConfusions(5);
        if (!top.isEmpty()) {
            s.append("\ntop confusions (true -> predicted: count): ");
            List<String> parts = new ArrayList<>();
            for (ConfusionMatrix.Confusion c : top) parts.add(c.truth() + " -> " + c.predicted() + ": " + c.count());
            s.append(String.join(", ", parts)).append('\n');
        }
        return s.toString();
    }

    public static Map<String, Object> json(ConfusionMatrix m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("accuracy", m.accuracy());
        out.put("loss", m.meanLoss());
        out.put("count", m.total());
        out.put("correct", m.correct());
        out.put("confusion_matrix", m.rows());
        List<Map<String, Object>> perClass = new ArrayList<>();
        for (int c = 0; c < m.classes(); c++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("class", c);
            row.put("precision", m.precision(c));
            row.put("recall", m.recall(c));
            row.put("f1", m.f1(c));
            row.put("support", m.support(c));
            perClass.add(row);
        }
        out.put("per_class", perClass);
        out.put("macro_avg", Map.of("precision", m.macro(m::precision), "recall", m.macro(m::recall), "f1", m.macro(m::f1)));
        out.put("weighted_avg", Map.of("precision", m.weighted(m::precision), "recall", m.weighted(m::recall), "f1", m.weighted(m::f1)));
        List<Map<String, Object>> top = new ArrayList<>();
        for (ConfusionMatrix.Confusion c : m.topConfusions(10)) top.add(Map.of("true", c.truth(), "predicted", c.predicted(), "count", c.count()));
        out.put("top_confusions", top);
        return out;
    }
}
