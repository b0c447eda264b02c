package sparkprop.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Keras' mnist.npz: a zip of x_train, y_train, x_test, y_test .npy arrays (uint8). An .npz is
 * read whole (it is a zip), so the trainer reads it in one task and spreads the examples.
 */
public record NpzSource(String path, String split, int count, int width) implements ExampleSource {

    public static NpzSource open(Configuration conf, Path path, String split) throws IOException {
        Npy.Header[] headers = new Npy.Header[2];
        scan(conf, path, split, (index, header, in) -> headers[index] = header);
        Npy.Header x = headers[0], y = headers[1];
        String name = path + ":x_" + split;
        if (x.shape().length < 2) throw new DataException(name + ": shape " + java.util.Arrays.toString(x.shape())
                + " is not (count, rows, cols) or (count, pixels)");
        if (!x.descr().endsWith("u1")) throw new DataException(name + ": dtype '" + x.descr() + "', expected uint8 pixels");
        if (y.shape().length != 1 || y.shape()[0] != x.shape()[0]) {
            throw new DataException(path + ": x_" + split + " has shape " + java.util.Arrays.toString(x.shape())
                    + " but y_" + split + " has " + java.util.Arrays.toString(y.shape()));
        }
        long width = x.shape()[0] == 0 ? 0 : x.elements() / x.shape()[0];
        if (width <= 0 || x.elements() > Integer.MAX_VALUE - 16) {
            throw new DataException(name + ": shape " + java.util.Arrays.toString(x.shape()) + " is not usable");
        }
        return new NpzSource(path.toString(), split, (int) x.shape()[0], (int) width);
    }

    @Override
    public String name() {
        return path + " (" + split + ")";
    }

    @Override
    public boolean splittable() {
        return false;
    }

    @Override
    public Examples read(Configuration conf, int first, int n) throws IOException {
        byte[][] arrays = new byte[2][];
        scan(conf, new Path(path), split, (index, header, in) ->
                arrays[index] = Npy.readUnsignedBytes(in, header, path + ":" + (index == 0 ? "x_" : "y_") + split));
        Examples all = new Examples(arrays[0], arrays[1], count, width);
        return first == 0 && n == count ? all : all.slice(first, n);
    }

    private interface MemberReader {
        void read(int index, Npy.Header header, InputStream in) throws IOException;
    }

    /** Walks the zip, handing x_split (index 0) and y_split (index 1) to the reader. */
    private static void scan(Configuration conf, Path path, String split, MemberReader reader) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        if (!fs.exists(path)) throw new DataException(path + ": no such file");
        boolean[] seen = new boolean[2];
        try (ZipInputStream zip = new ZipInputStream(fs.open(path))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String member = entry.getName();
                int index = member.equals("x_" + split + ".npy") ? 0 : member.equals("y_" + split + ".npy") ? 1 : -1;
                if (index < 0) continue;
                reader.read(index, Npy.readHeader(zip, path + ":" + member), zip);
                seen[index] = true;
            }
        } catch (ZipException e) {
            throw new DataException(path + ": not a readable .npz (zip) file: " + e.getMessage(), e);
        }
        for (int i = 0; i < 2; i++) {
            if (!seen[i]) throw new DataException(path + ": has no array " + (i == 0 ? "x_" : "y_") + split
                    + " (expected x_train, y_train, x_test, y_test)");
        }
    }
}
