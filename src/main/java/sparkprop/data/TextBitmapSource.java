package sparkprop.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The 32x32 text-bitmap digits: a folder (or a .zip of it) with {@code trainingDigits/} and
 * {@code testDigits/}, one file per digit named {@code <label>_<n>.txt}, holding 32 lines of 32
 * '0'/'1' characters. A '1' becomes pixel 255 so the input normalisation is MNIST's. Examples are
 * ordered by label, then n, so the order never depends on how a filesystem lists files.
 */
public record TextBitmapSource(String root, String folder, boolean zipped, List<String> files) implements ExampleSource {
    public static final int SIDE = 32;

    public static TextBitmapSource open(Configuration conf, Path root, String folder) throws IOException {
        boolean zipped = root.getName().endsWith(".zip");
        List<String> names = new ArrayList<>(zipped ? readZip(conf, root, folder, false).keySet() : listFolder(conf, root, folder));
        if (names.isEmpty()) throw new DataException(new Path(root, folder) + ": no <label>_<n>.txt files");
        for (String n : names) label(n, root + "/" + folder);
        names.sort(Comparator.comparingInt((String n) -> label(n, "")).thenComparingInt(TextBitmapSource::number)
                .thenComparing(Comparator.naturalOrder()));
        return new TextBitmapSource(root.toString(), folder, zipped, List.copyOf(names));
    }

    @Override
    public String name() {
        return root + "/" + folder;
    }

    @Override
    public int count() {
        return files.size();
    }

    @Override
    public int width() {
        return SIDE * SIDE;
    }

    @Override
    public boolean splittable() {
        return false;
    }

    @Override
    public Examples read(Configuration conf, int first, int n) throws IOException {
        Map<String, byte[]> contents = zipped ? readZip(conf, new Path(root), folder, true) : null;
        byte[] pixels = new byte[n * width()];
        byte[] labels = new byte[n];
        for (int j = 0; j < n; j++) {
            String file = files.get(first + j);
            String shown = root + "/" + folder + "/" + file;
            byte[] text;
            if (zipped) {
                text = contents.get(file);
            } else {
                Path path = new Path(new Path(root, folder), file);
                try (InputStream in = path.getFileSystem(conf).open(path)) {
                    text = in.readAllBytes();
                }
            }
            parse(text, shown, pixels, j * width());
            labels[j] = (byte) label(file, shown);
        }
        return new Examples(pixels, labels, n, width());
    }

    /** Parses one bitmap into {@code pixels[offset..offset+1024)}; accepts \n and \r\n line ends. */
    static void parse(byte[] text, String name, byte[] pixels, int offset) {
        int row = 0, col = 0;
        for (int i = 0; i < text.length; i++) {
            byte c = text[i];
            if (c == '\r') continue;
            if (c == '\n') {
                if (col == 0 && row >= SIDE) continue;
                if (col != SIDE) throw new DataException(name + ": line " + (row + 1) + " has " + col + " characters, expected " + SIDE);
                row++;
                col = 0;
                continue;
            }
            if (c != '0' && c != '1') {
                throw new DataException(name + ": stray character '" + (char) c + "' on line " + (row + 1) + " (expected 0 or 1)");
            }
            if (row >= SIDE) throw new DataException(name + ": more than " + SIDE + " lines");
            if (col >= SIDE) throw new DataException(name + ": line " + (row + 1) + " is longer than " + SIDE + " characters");
            pixels[offset + row * SIDE + col] = c == '1' ? (byte) 255 : 0;
            col++;
        }
        if (col != 0) {
            if (col != SIDE) throw new DataException(name + ": line " + (row + 1) + " has " + col + " characters, expected " + SIDE);
            row++;
        }
        if (row != SIDE) throw new DataException(name + ": has " + row + " lines, expected " + SIDE);
    }

    /** The label in a file name {@code <label>_<n>.txt}. */
    static int label(String file, String shown) {
        int underscore = file.indexOf('_');
        try {
            int label = Integer.parseInt(file.substring(0, Math.max(underscore, 0)));
            if (label < 0 || label > 255) throw new NumberFormatException();
            return label;
        } catch (NumberFormatException e) {
            throw new DataException(shown + ": file name '" + file + "' does not start with a label (<label>_<n>.txt)");
        }
    }

    private static int number(String file) {
        try {
            return Integer.parseInt(file.substring(file.indexOf('_') + 1, file.lastIndexOf('.')));
        } catch (RuntimeException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static List<String> listFolder(Configuration conf, Path root, String folder) throws IOException {
        Path dir = new Path(root, folder);
        FileSystem fs = dir.getFileSystem(conf);
        if (!fs.exists(dir)) throw new DataException(dir + ": no such folder");
        List<String> names = new ArrayList<>();
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.isFile() && s.getPath().getName().endsWith(".txt")) names.add(s.getPath().getName());
        }
        return names;
    }

    /** Names (and, when asked, contents) of the zip's {@code folder/*.txt} members. */
    private static Map<String, byte[]> readZip(Configuration conf, Path zipPath, String folder, boolean withContents)
            throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        FileSystem fs = zipPath.getFileSystem(conf);
        if (!fs.exists(zipPath)) throw new DataException(zipPath + ": no such file");
        try (ZipInputStream zip = new ZipInputStream(fs.open(zipPath))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String name = entry.getName();
                int slash = name.lastIndexOf('/');
                String dir = slash < 0 ? "" : name.substring(0, slash);
                if (entry.isDirectory() || !name.endsWith(".txt") || !(dir.equals(folder) || dir.endsWith("/" + folder))) continue;
                members.put(name.substring(slash + 1), withContents ? zip.readAllBytes() : null);
            }
        } catch (ZipException e) {
            throw new DataException(zipPath + ": not a readable zip file: " + e.getMessage(), e);
        }
        return members;
    }
}
