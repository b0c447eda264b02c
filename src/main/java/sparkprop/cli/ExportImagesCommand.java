package sparkprop.cli;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sparkprop.core.Augment;
import sparkprop.core.BadInputException;
import sparkprop.core.Seeds;
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
    @Option(names = "--augment", paramLabel = "SPEC", description = "Write distorted copies as train --augment SPEC draws them (e.g. "
            + "shift=2,rotate=10,elastic-alpha=34,elastic-sigma=4), so you can look at what the network sees.")
    String augment;
    @Option(names = "--copies", defaultValue = "4", paramLabel = "K", description = "With --augment: distorted copies of each example (default: ${DEFAULT-VALUE}).")
    int copies;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "With --augment: seed of the draws (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (limit <= 0) throw new BadInputException("--limit " + limit + ": expected a positive whole number");
        if (size != null && (size < 4 || size > 4096)) throw new BadInputException("--size " + size + ": expected 4 to 4096 pixels");
        if (!split.equals("test") && !split.equals("train")) throw new BadInputException("--split " + split + ": expected test or train");
        Augment distortion = augment == null ? Augment.NONE : readAugment(augment);
        if (distortion.active() && (copies < 1 || copies > 20)) throw new BadInputException("--copies " + copies + ": expected 1 to 20");
        Configuration conf = Location.configuration();
        Dataset dataset = Inputs.data(data, conf);
        ExampleSource source = split.equals("test") ? dataset.test() : dataset.train();
        int side = DigitImages.side(source.width());
        String problem = distortion.problemFor(source.width());
        if (problem != null) throw new BadInputException("--augment " + distortion.spec() + ": " + data + ": " + problem);
        Location folder = Location.of(out, conf, "--out");
        if (folder.exists() && (folder.isFile() || !folder.list().isEmpty())) {
            throw new BadInputException("--out " + folder + ": already exists and is not empty");
        }
        int n = Math.min(limit, source.count());
        Examples examples = source.read(conf, 0, n);
        folder.mkdirs();
        int target = size == null ? side : size;
        List<DigitImages.Tile> tiles = new ArrayList<>();
        int width = source.width();
        Augment.Scratch scratch = distortion.active() ? new Augment.Scratch(side) : null;
        float[] original = new float[width];
        float[] values = new float[width];
        int[] label = new int[1];
        for (int i = 0; i < n; i++) {
            tiles.add(new DigitImages.Tile(examples.pixels(), i * width, "#" + i + ": " + examples.label(i)));
            if (!distortion.active()) {
                write(folder, String.format("%05d_%d.png", i, examples.label(i)), examples.pixels(), i * width, side, target);
                continue;
            }
            examples.toInputs(new int[]{i}, 0, 1, original, label); // the inputs training distorts, scaled as it scales them
            for (int k = 0; k < copies; k++) {
                System.arraycopy(original, 0, values, 0, width);
                distortion.apply(values, 0, scratch, Seeds.derive(seed, i, k));
                byte[] distorted = new byte[width];
                for (int p = 0; p < width; p++) distorted[p] = (byte) Math.round(Math.max(0, Math.min(1, values[p])) * 255);
                write(folder, String.format("%05d_%d_%d.png", i, examples.label(i), k + 1), distorted, 0, side, target);
                tiles.add(new DigitImages.Tile(distorted, 0, "#" + i + " ~" + (k + 1)));
            }
        }
        // Distorted: one row an example, the original first.
        int columns = distortion.active() ? Math.min(copies + 1, 21) : 10;
        folder.child("contact-sheet.png").write(png(DigitImages.contactSheet(tiles, side, columns, 2)));
        if (distortion.active()) {
            System.out.printf("%d examples of %s (%s split), %d copies each distorted by %s, written to %s as NNNNN_<label>_<copy>.png,"
                    + " plus contact-sheet.png (each row: the original, then its copies)%n", n, data, split, copies, distortion.spec(), folder);
        } else {
            System.out.printf("%d examples of %s (%s split) written to %s as NNNNN_<label>.png, plus contact-sheet.png%n", n, data, split, folder);
        }
        return 0;
    }

    private void write(Location folder, String name, byte[] pixels, int offset, int side, int target) throws IOException {
        BufferedImage digit = DigitImages.image(pixels, offset, side, 1, invert);
        if (target != side) digit = resize(digit, target);
        folder.child(name).write(png(digit));
    }

    private static Augment readAugment(String spec) {
        try {
            return Augment.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--augment: " + e.getMessage());
        }
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
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
