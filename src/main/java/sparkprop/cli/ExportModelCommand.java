package sparkprop.cli;

import sparkprop.core.ModelNpz;
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
 * code, or, with {@code --from-npz}, such arrays (ours or network.py's layout) as a model.bin
 * that evaluate and predict take.
 */
@Command(name = "export-model", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Convert a model to NumPy arrays (.npz), or import one from them with --from-npz.")
final class ExportModelCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--model", paramLabel = "FILE", description = "model.bin to export as .npz.")
        String model;
        @Option(names = "--from-npz", paramLabel = "FILE", description = ".npz of W1, b1, W2, b2, ... to import as model.bin.")
        String npz;
    }

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (.npz, or model.bin with --from-npz; any Hadoop path); must not exist.")
    String out;
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
        if (source.model != null) {
            Model model = Inputs.model(source.model, hadoop);
            target.write(ModelNpz.write(model));
            System.out.println(model.spec() + " written to " + target + " as W1, b1, ... (float32, W of shape (in, out)), sizes, activations, loss");
        } else {
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
