package sparkprop.cli;

import sparkprop.data.ModelNpz;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sparkprop.core.Activation;
import sparkprop.core.Loss;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.core.ModelFileException;
import sparkprop.storage.Location;

/**
 * {@code export-model}: a model.bin as NumPy arrays (W1, b1, ... in an .npz) for the tutorials'
 * code or as an ONNX graph for serving ({@link sparkprop.core.ModelOnnx}), or, with {@code
 * --from-npz}, such arrays (ours or network.py's layout) as a model.bin that evaluate and predict take.
 */
@Command(name = "export-model", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Convert a model to NumPy arrays (.npz) or to ONNX (.onnx, for ONNX Runtime), or import one from NumPy arrays with --from-npz.")
final class ExportModelCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--model", paramLabel = "FILE", description = "model.bin to export as .npz or .onnx.")
        String model;
        @Option(names = "--from-npz", paramLabel = "FILE", description = ".npz of W1, b1, W2, b2, ... to import as model.bin.")
        String npz;
    }

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (.npz or .onnx, or model.bin with --from-npz; "
            + "any Hadoop path); must not exist.")
    String out;
    @Option(names = "--format", paramLabel = "FORMAT", description = "With --model: npz or onnx (default: told by --out's extension, .onnx or else npz).")
    String format;
    @Option(names = "--activation", description = "With --from-npz, when the file does not say: hidden activation.")
    String activation;
    @Option(names = "--output", description = "With --from-npz, when the file does not say: output activation (default: the loss's).")
    String output;
    @Option(names = "--loss", description = "With --from-npz, when the file does not say: ce or mse.")
    String loss;

    @Override
    public Integer call() throws Exception {
        Configuration hadoop = Location.configuration();
        Location target = Location.of(out, hadoop, "--out");
        if (target.exists()) throw new sparkprop.core.BadInputException("--out " + target + ": already exists");
        if (format != null && !format.equals("npz") && !format.equals("onnx")) {
            throw new sparkprop.core.BadInputException("--format " + format + ": expected npz or onnx");
        }
        if (source.model != null) {
            Model model = Inputs.model(source.model, hadoop);
            if ("onnx".equals(format) || format == null && target.name().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
                target.write(sparkprop.core.ModelOnnx.write(model));
                System.out.println(model.spec() + " written to " + target + " as ONNX (IR 8, opset 17): input features (N, " + model.spec().inputSize()
                        + ") float, outputs probabilities (N, " + model.spec().outputSize() + ") and class (N) int64; input scaling " + model.input());
            } else {
                target.write(ModelNpz.write(model));
                System.out.println(model.spec() + " written to " + target + " as W1, b1, ... (float32, W of shape (in, out)), sizes, activations, loss, input");
            }
        } else {
            if (format != null) throw new sparkprop.core.BadInputException("--format is for --model; --from-npz writes a model.bin");
            Location npz = Location.of(source.npz, hadoop, "--from-npz");
            if (!npz.isFile()) throw new ModelFileException(npz + ": no such file");
            Model model = ModelNpz.read(npz.read(), npz.toString(),
                    activation == null ? null : Activation.parse(activation), output == null ? null : Activation.parse(output),
                    loss == null ? null : Loss.parse(loss));
            target.write(ModelFile.encode(model));
            System.out.println(model.spec() + " imported from " + npz + " into " + target);
        }
        return 0;
    }
}
