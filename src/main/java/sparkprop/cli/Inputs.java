package sparkprop.cli;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import sparkprop.core.Model;
import sparkprop.core.ModelFile;
import sparkprop.core.ModelFileException;
import sparkprop.data.Dataset;
import sparkprop.storage.Location;

/** What the commands read before Spark starts, from any Hadoop path, with messages that name the full URI. */
final class Inputs {
    private Inputs() {
    }

    /** A dataset (--data), after checking its filesystem answers: an unknown scheme or a NameNode that is down is one clear line. */
    static Dataset data(String path, Configuration conf) throws IOException {
        Location.of(path, conf, "--data");
        return Dataset.open(path, conf);
    }

    /** A model file (--model). */
    static Model model(String path, Configuration conf) throws IOException {
        Location file = Location.of(path, conf, "--model");
        if (!file.exists()) throw new ModelFileException(file + ": no such model file");
        if (file.isDirectory()) throw new ModelFileException(file + ": is a directory, expected a model file");
        return ModelFile.decode(file.read(), file.toString());
    }
}
