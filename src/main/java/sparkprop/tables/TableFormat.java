package sparkprop.tables;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import sparkprop.core.BadInputException;
import sparkprop.storage.Location;

/**
 * The table formats {@code --data} reads besides sparkprop's own files, each with Spark SQL's
 * source of that name. Told apart by file name: a file's, or a folder's data files' (names
 * starting with {@code _} or {@code .} are Spark's markers and checksums; {@code key=value}
 * folders are partitions).
 */
public enum TableFormat {
    PARQUET("parquet"), ORC("orc"), CSV("csv"), LIBSVM("libsvm");

    /** Spark SQL's name for the source. */
    public final String source;

    TableFormat(String source) {
        this.source = source;
    }

    private static final List<String> COMPRESSION = List.of(".gz", ".bz2", ".deflate", ".zst", ".lz4", ".snappy", ".zlib", ".lzo");

    /** The format a file's name says, compression suffixes aside; null for any other file. */
    static TableFormat ofName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (String c : COMPRESSION) {
            if (n.endsWith(c)) {
                n = n.substring(0, n.length() - c.length());
                break;
            }
        }
        if (n.endsWith(".parquet")) return PARQUET;
        if (n.endsWith(".orc")) return ORC;
        if (n.endsWith(".csv")) return CSV;
        if (n.endsWith(".libsvm") || n.endsWith(".svm")) return LIBSVM;
        return null;
    }

    /** The table format of a file or folder, or null when it is not a table (an IDX folder, an .npz, ...). */
    public static TableFormat of(Location where) throws IOException {
        if (where.isFile()) return ofName(where.name());
        if (!where.isDirectory()) return null;
        TreeSet<TableFormat> found = new TreeSet<>();
        List<String> others = new ArrayList<>();
        for (String name : dataFiles(where)) {
            TableFormat f = ofName(name);
            if (f == null) others.add(name);
            else found.add(f);
        }
        if (found.isEmpty()) return null;
        if (found.size() > 1) throw new BadInputException(where + ": holds tables of several formats (" + found + "); give one folder per table");
        if (!others.isEmpty()) {
            throw new BadInputException(where + ": holds " + found.first().source + " files and others that are not (" + others.get(0)
                    + "); Spark would try to read them all as " + found.first().source);
        }
        return found.first();
    }

    /** The data files of a table folder, by name, looking into the first partition folder ({@code key=value}) when there are some. */
    static List<String> dataFiles(Location folder) throws IOException {
        List<String> names = new ArrayList<>();
        List<String> listing = folder.list();
        Collections.sort(listing);
        for (String name : listing) {
            if (name.startsWith("_") || name.startsWith(".")) continue;
            if (name.contains("=") && folder.child(name).isDirectory()) {
                for (String inner : dataFiles(folder.child(name))) names.add(name + "/" + inner);
                break;
            }
            names.add(name);
        }
        return names;
    }
}
