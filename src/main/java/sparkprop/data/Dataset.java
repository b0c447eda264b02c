package sparkprop.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A train and a test split, found from one path whose format is detected:
 * <ul>
 *   <li>a folder of IDX files {@code train-images*idx3-ubyte}, {@code train-labels*idx1-ubyte},
 *       {@code t10k-images*}, {@code t10k-labels*}, raw or {@code .gz} (raw preferred);</li>
 *   <li>an {@code .npz} file with x_train, y_train, x_test, y_test;</li>
 *   <li>a folder, or a {@code .zip}, holding {@code trainingDigits/} and {@code testDigits/}.</li>
 * </ul>
 */
public record Dataset(ExampleSource train, ExampleSource test) {

    public static Dataset open(String location, Configuration conf) throws IOException {
        Path path = new Path(location);
        FileSystem fs = path.getFileSystem(conf);
        path = fs.makeQualified(path);
        if (!fs.exists(path)) throw new DataException(location + ": no such file or folder");
        Dataset dataset;
        if (fs.getFileStatus(path).isFile()) {
            String name = path.getName();
            if (name.endsWith(".npz")) {
                dataset = new Dataset(NpzSource.open(conf, path, "train"), NpzSource.open(conf, path, "test"));
            } else if (name.endsWith(".zip")) {
                dataset = new Dataset(TextBitmapSource.open(conf, path, "trainingDigits"), TextBitmapSource.open(conf, path, "testDigits"));
            } else {
                throw new DataException(location + ": not a dataset (expected an IDX folder, an .npz file, a folder or .zip"
                        + " with trainingDigits/ and testDigits/, or a table: a .parquet, .orc, .csv or .libsvm file or folder of them)");
            }
        } else if (fs.exists(new Path(path, "trainingDigits"))) {
            dataset = new Dataset(TextBitmapSource.open(conf, path, "trainingDigits"), TextBitmapSource.open(conf, path, "testDigits"));
        } else {
            List<FileStatus> files = List.of(fs.listStatus(path));
            dataset = new Dataset(
                    IdxSource.open(conf, find(files, path, "train-images", "idx3-ubyte"), find(files, path, "train-labels", "idx1-ubyte")),
                    IdxSource.open(conf, find(files, path, "t10k-images", "idx3-ubyte"), find(files, path, "t10k-labels", "idx1-ubyte")));
        }
        if (dataset.train().width() != dataset.test().width()) {
            throw new DataException(location + ": training examples have " + dataset.train().width() + " pixels but test examples have "
                    + dataset.test().width());
        }
        return dataset;
    }

    public int width() {
        return train.width();
    }

    /** The raw file if present, else the .gz; names like {@code train-images.idx3-ubyte} count too. */
    private static Path find(List<FileStatus> files, Path folder, String prefix, String type) {
        List<Path> matches = new ArrayList<>();
        for (FileStatus f : files) {
            String n = f.getPath().getName();
            if (n.startsWith(prefix) && (n.endsWith(type) || n.endsWith(type + ".gz"))) matches.add(f.getPath());
        }
        matches.sort((a, b) -> Boolean.compare(a.getName().endsWith(".gz"), b.getName().endsWith(".gz")));
        if (matches.isEmpty()) {
            throw new DataException(folder + ": no " + prefix + "-" + type + " file (an IDX folder needs train-images, train-labels,"
                    + " t10k-images and t10k-labels, raw or .gz)");
        }
        return matches.get(0);
    }
}
