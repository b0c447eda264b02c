package sparkprop.eval;

import sparkprop.core.ConfusionMatrix;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * report.html: one self-contained page (images inlined as data URIs, no external file or
 * script) with the curves, the facts of the run, the configuration, the confusion matrix as a
 * heat map and a gallery of the worst-misclassified digits. A small inline script records on the
 * body how many images decoded, so a headless browser can check the page.
 */
public final class ReportPage {
    private ReportPage() {
    }

    /**
     * @param facts  label to value, shown first (accuracy, timings, throughput)
     * @param config option to value, may be empty
     * @param curves curves.png bytes, or null when there is no history (evaluation)
     */
    public static String html(String title, Map<String, String> facts, Map<String, String> config, byte[] curves,
                              ConfusionMatrix matrix, List<Evaluation.Misclassified> worst, int side) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title)).append("</title>\n")
                .append("<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}h1{font-size:22px}h2{font-size:18px;margin-top:28px}")
                .append("table{border-collapse:collapse}td,th{padding:3px 8px;border:1px solid #ddd;text-align:right}")
                .append("th{background:#f4f4f4}.facts td,.config td{text-align:left}.facts td:first-child,.config td:first-child{font-weight:bold}")
                .append(".heat td{width:44px;text-align:center}.gallery{display:flex;flex-wrap:wrap;gap:12px}")
                .append("figure{margin:0;text-align:center;font-size:12px}figure img{border:1px solid #ccc;image-rendering:pixelated}</style>\n")
                .append("</head><body>\n<h1>").append(escape(title)).append("</h1>\n");

        h.append("<table class=\"facts\">");
        facts.forEach((k, v) -> h.append("<tr><td>").append(escape(k)).append("</td><td>").append(escape(v)).append("</td></tr>"));
        h.append("</table>\n");

        if (curves != null) {
            h.append("<h2>Training curves</h2>\n<img alt=\"loss and accuracy per epoch\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(curves)).append("\">\n");
        }

        h.append("<h2>Confusion matrix</h2>\n<p>Rows: true class; columns: predicted class. Colour: share of the row.</p>\n<table class=\"heat\"><tr><th></th>");
        for (int j = 0; j < matrix.classes(); j++) h.append("<th>").append(j).append("</th>");
        h.append("<th>recall</th></tr>\n");
        for (int i = 0; i < matrix.classes(); i++) {
            h.append("<tr><th>").append(i).append("</th>");
            long support = Math.max(1, matrix.support(i));
            for (int j = 0; j < matrix.classes(); j++) {
                long c = matrix.count(i, j);
                double share = (double) c / support;
                String colour = i == j ? String.format("rgba(46,139,87,%.3f)", share) : String.format("rgba(220,50,47,%.3f)", Math.min(1, share * 10));
                h.append("<td style=\"background:").append(colour).append("\">").append(c).append("</td>");
            }
            h.append(String.format("<td>%.4f</td></tr>%n", matrix.recall(i)));
        }
        h.append("</table>\n<table><tr><th>class</th><th>precision</th><th>recall</th><th>f1</th><th>support</th></tr>\n");
        for (int c = 0; c < matrix.classes(); c++) {
            h.append(String.format("<tr><td>%d</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%d</td></tr>%n", c, matrix.precision(c),
                    matrix.recall(c), matrix.f1(c), matrix.support(c)));
        }
        h.append(String.format("<tr><th>macro avg</th><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%d</td></tr>%n", matrix.macro(matrix::precision),
                matrix.macro(matrix::recall), matrix.macro(matrix::f1), matrix.total()));
        h.append(String.format("<tr><th>weighted avg</th><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%d</td></tr>%n</table>%n",
                matrix.weighted(matrix::precision), matrix.weighted(matrix::recall), matrix.weighted(matrix::f1), matrix.total()));

        h.append("<h2>Worst-misclassified digits</h2>\n<p>The mistakes the model was surest about: true label, predicted label, and the probability it gave its guess.</p>\n<div class=\"gallery\">\n");
        for (Evaluation.Misclassified m : worst) {
            h.append("<figure>");
            if (side > 0 && m.pixels().length == side * side) { // a table of features, not pixels, has only the caption
                String png = Base64.getEncoder().encodeToString(DigitImages.png(DigitImages.image(m.pixels(), 0, side, 3, true)));
                h.append("<img alt=\"example ").append(m.index()).append("\" src=\"data:image/png;base64,").append(png).append("\">");
            }
            h.append(String.format("<figcaption>#%d: true %d, predicted %d (%.2f)</figcaption></figure>%n", m.index(), m.label(),
                            m.predicted(), m.confidence()));
        }
        h.append("</div>\n");

        if (!config.isEmpty()) {
            h.append("<h2>Configuration</h2>\n<table class=\"config\">");
            config.forEach((k, v) -> h.append("<tr><td>").append(escape(k)).append("</td><td>").append(escape(v)).append("</td></tr>"));
            h.append("</table>\n");
        }
        h.append("<script>window.addEventListener('load',function(){var n=0,i=document.images;for(var k=0;k<i.length;k++)"
                + "if(i[k].complete&&i[k].naturalWidth>0)n++;document.body.setAttribute('data-images-loaded',n+'/'+i.length);});</script>\n");
        h.append("</body></html>\n");
        return h.toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
