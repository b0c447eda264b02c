package sparkprop.cli;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sparkprop.data.Dataset;
import sparkprop.data.ExampleSource;
import sparkprop.data.Examples;
import sparkprop.eval.DigitImages;
import sparkprop.storage.Location;

/**
 * {@code export-images}: examples as PNG files named {@code <index>_<label>.png} and one
 * {@code contact-sheet.png} grid with labels. {@code --size} and {@code --invert} write them as
 * a person's scan might look (other size, dark ink on white), to try {@code predict} on.
 */
@Command(name = "export-images", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write dataset examples as PNG files plus a labelled contact sheet.")
final class ExportImagesCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Dataset in any format train reads.")
    String data;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write to (any Hadoop path); must not exist or be empty.")
    String out;
    @Option(names = "--limit", defaultValue = "100", paramLabel = "N", description = "How many examples, from the first (default: ${DEFAULT-VALUE}).")
    int limit;
    @Option(names = "--split", defaultValue = "test", description = "test (default) or train.")
    String split;
    @Option(names = "--size", paramLabel = "PIXELS", description = "Side of each PNG (default: the data's own, e.g. 28).")
    Integer size;
    @Option(names = "--invert", description = "Dark ink on white instead of MNIST's white on black.")
    boolean invert;

    @Override
    public Integer call() throws Exception {
        if (limit <= 0) throw new sparkprop.core.BadInputException("--limit " + limit + ": expected a positive whole number");
        if (size != null && (size < 4 || size > 4096)) throw new sparkprop.core.BadInputException("--size " + size + ": expected 4 to 4096 pixels");
        if (!split.equals("test") && !split.equals("train")) throw new sparkprop.core.BadInputException("--split " + split + ": expected test or train");
        Configuration conf = Location.configuration();
        Dataset dataset = Inputs.data(data, conf);
        ExampleSource source = split.equals("test") ? dataset.test() : dataset.train();
        int side = DigitImages.side(source.width());
        Location folder = Location.of(out, conf, "--out");
        if (folder.exists() && (folder.isFile() || !folder.list().isEmpty())) {
            throw new sparkprop.core.BadInputException("--out " + folder + ": already exists and is not empty");
        }
        int n = Math.min(limit, source.count());
        Examples examples = source.read(conf, 0, n);
        folder.mkdirs();
        int target = size == null ? side : size;
        List<DigitImages.Tile> tiles = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BufferedImage digit = DigitImages.image(examples.pixels(), i * source.width(), side, 1, invert);
            if (target != side) digit = resize(digit, target);
            folder.child(String.format("%05d_%d.png", i, examples.label(i))).write(png(digit));
            tiles.add(new DigitImages.Tile(examples.pixels(), i * source.width(), "#" + i + ": " + examples.label(i)));
        }
        folder.child("contact-sheet.png").write(png(DigitImages.contactSheet(tiles, side, 10, 2)));
        System.out.printf("%d examples of %s (%s split) written to %s as NNNNN_<label>.png, plus contact-sheet.png%n", n, data, split, folder);
        return 0;
    }

    private static byte[] png(BufferedImage image) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }

    private static BufferedImage resize(BufferedImage image, int target) {
        BufferedImage resized = new BufferedImage(target, target, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = resized.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, target, target, null);
        g.dispose();
        return resized;
    }
}
