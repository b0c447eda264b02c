package sparkprop.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sparkprop.core.Model;
import sparkprop.data.DataException;
import sparkprop.data.DigitPicture;
import sparkprop.eval.DigitImages;

/**
 * {@code predict}: the digit in each of a person's pictures (PNG, JPEG, ... of any size), made
 * into MNIST's format first. One line per picture: {@code <file> <digit> <probability>}.
 * Pictures that cannot be read get a message; the others still get answers, and the exit code
 * is then 2.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Predict the digit in pictures (files or folders of PNG/JPEG/GIF/BMP), MNIST-style preprocessing.")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A model.bin written by train.")
    String modelPath;
    @Option(names = "--json", description = "Print a JSON array (file, digit, probability, probabilities) instead of lines.")
    boolean json;
    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Picture files, or folders of them.")
    List<Path> inputs;

    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".gif", ".bmp");

    @Override
    public Integer call() throws Exception {
        Model model = Inputs.model(modelPath, sparkprop.storage.Location.configuration());
        int side = DigitImages.side(model.spec().inputSize());
        List<Path> files = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path input : inputs) {
            if (Files.isDirectory(input)) {
                try (Stream<Path> listing = Files.list(input)) {
                    listing.filter(p -> EXTENSIONS.stream().anyMatch(e -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(e)))
                            .sorted().forEach(files::add);
                }
            } else {
                files.add(input);
            }
        }
        List<Path> readable = new ArrayList<>();
        List<byte[]> digits = new ArrayList<>();
        for (Path file : files) {
            try {
                BufferedImage picture = Files.isRegularFile(file) ? ImageIO.read(file.toFile()) : null;
                if (picture == null) {
                    problems.add(file + ": " + (Files.exists(file) ? "not a picture this reader knows (PNG, JPEG, GIF, BMP)" : "no such file"));
                    continue;
                }
                digits.add(DigitPicture.toDigit(picture, side, file.toString()));
                readable.add(file);
            } catch (DataException e) {
                problems.add(e.getMessage());
            } catch (java.io.IOException | RuntimeException e) {
                problems.add(file + ": cannot be read as a picture (" + e.getMessage() + ")");
            }
        }

        int n = readable.size(), k = model.spec().outputSize();
        List<Map<String, Object>> answers = new ArrayList<>();
        if (n > 0) {
            float[] x = new float[side * side * n];
            for (int j = 0; j < n; j++) for (int i = 0; i < side * side; i++) x[j * side * side + i] = (digits.get(j)[i] & 0xFF) / 255f;
            float[] p = model.predict(x, n);
            for (int j = 0; j < n; j++) {
                int best = 0;
                for (int c = 1; c < k; c++) if (p[j * k + c] > p[j * k + best]) best = c;
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("file", readable.get(j).toString());
                a.put("digit", best);
                a.put("probability", p[j * k + best]);
                a.put("probabilities", java.util.Arrays.copyOfRange(p, j * k, (j + 1) * k));
                answers.add(a);
                if (!json) System.out.printf(Locale.ROOT, "%s %d %.4f%n", readable.get(j), best, p[j * k + best]);
            }
        }
        if (json) System.out.println(new ObjectMapper().writeValueAsString(answers));
        for (String problem : problems) System.err.println("error: " + problem);
        if (files.isEmpty()) System.err.println("error: no pictures found in " + inputs);
        return problems.isEmpty() && !files.isEmpty() ? 0 : Main.BAD_INPUT;
    }
}
