package sparkprop.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A pair of IDX files (images, labels). Raw files are read by byte range: an executor seeks to
 * its examples and reads only them. A .gz file cannot be split, so it is read from the start.
 */
public record IdxSource(String images, String labels, int count, int width, boolean compressed)
        implements ExampleSource {

    /** Reads and cross-checks both headers (and, for raw files, the file lengths) on the driver. */
    public static IdxSource open(Configuration conf, Path images, Path labels) throws IOException {
        boolean compressed = images.getName().endsWith(".gz");
        if (compressed != labels.getName().endsWith(".gz")) {
            throw new DataException(images + " and " + labels + ": one is gzipped and the other is not");
        }
        IdxFormat.ImagesHeader header;
        try (InputStream in = openStream(conf, images, compressed)) {
            header = IdxFormat.readImagesHeader(in, images.toString());
        } catch (ZipException e) {
            throw new DataException(images + ": corrupted gzip data (" + e.getMessage() + ")", e);
        }
        int labelCount;
        try (InputStream in = openStream(conf, labels, compressed)) {
            labelCount = IdxFormat.readLabelsHeader(in, labels.toString());
        } catch (ZipException e) {
            throw new DataException(labels + ": corrupted gzip data (" + e.getMessage() + ")", e);
        }
        if (labelCount != header.count()) {
            throw new DataException(images + " has " + header.count() + " images but " + labels + " has "
                    + labelCount + " labels");
        }
        if (!compressed) {
            checkLength(conf, images, IdxFormat.IMAGES_HEADER_BYTES + (long) header.count() * header.width());
            checkLength(conf, labels, IdxFormat.LABELS_HEADER_BYTES + (long) labelCount);
        }
        return new IdxSource(images.toString(), labels.toString(), header.count(), header.width(), compressed);
    }

    @Override
    public String name() {
        return images;
    }

    @Override
    public String labelsName() {
        return labels;
    }

    @Override
    public boolean splittable() {
        return !compressed;
    }

    @Override
    public Examples read(Configuration conf, int first, int n) throws IOException {
        if (first < 0 || n < 0 || first + n > count) {
            throw new IllegalArgumentException("range [" + first + ", " + (first + n) + ") outside 0.." + count);
        }
        byte[] pixels = readRange(conf, new Path(images), IdxFormat.IMAGES_HEADER_BYTES, (long) first * width, n * width, "pixels");
        byte[] labelBytes = readRange(conf, new Path(labels), IdxFormat.LABELS_HEADER_BYTES, first, n, "labels");
        return new Examples(pixels, labelBytes, n, width);
    }

    private byte[] readRange(Configuration conf, Path path, int header, long offset, int n, String what) throws IOException {
        try (InputStream in = openStream(conf, path, compressed)) {
            if (in instanceof FSDataInputStream seekable) {
                seekable.seek(header + offset);
            } else {
                in.skipNBytes(header + offset);
            }
            return IdxFormat.readBytes(in, n, path.toString(), what);
        } catch (ZipException | java.io.EOFException e) {
            throw new DataException(path + ": corrupted gzip data (" + e.getMessage() + ")", e);
        }
    }

    private static InputStream openStream(Configuration conf, Path path, boolean compressed) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (java.io.FileNotFoundException e) {
            throw new DataException(path + ": no such file");
        }
        if (status.isDirectory()) throw new DataException(path + ": is a directory, expected an IDX file");
        if (status.getLen() == 0) throw new DataException(path + ": is empty");
        FSDataInputStream raw = fs.open(path);
        if (!compressed) return raw;
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (ZipException | java.io.EOFException e) {
            raw.close();
            throw new DataException(path + ": corrupted gzip data (" + e.getMessage() + ")", e);
        }
    }

    private static void checkLength(Configuration conf, Path path, long expected) throws IOException {
        long actual = path.getFileSystem(conf).getFileStatus(path).getLen();
        if (actual != expected) {
            throw new DataException(path + ": " + (actual < expected ? "truncated" : "has trailing bytes") + ": header implies "
                    + expected + " bytes, file has " + actual);
        }
    }
}
