package sparkprop.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds tiny binary files of every format the readers take, valid or deliberately broken. */
public final class Fixtures {
    private Fixtures() {
    }

    public static byte[] idxImages(int magic, int count, int rows, int cols, byte[] pixels) {
        return ByteBuffer.allocate(16 + pixels.length).putInt(magic).putInt(count).putInt(rows).putInt(cols).put(pixels).array();
    }

    public static byte[] idxImages(int count, int rows, int cols, byte[] pixels) {
        return idxImages(IdxFormat.IMAGES_MAGIC, count, rows, cols, pixels);
    }

    public static byte[] idxLabels(byte[] labels) {
        return ByteBuffer.allocate(8 + labels.length).putInt(IdxFormat.LABELS_MAGIC).putInt(labels.length).put(labels).array();
    }

    public static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    /** A .npy array, version 1, C order. */
    public static byte[] npy(String descr, long[] shape, byte[] data) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) dims.append(d).append(", ");
        return npy(descr, dims.toString().replaceAll(", $", shape.length == 1 ? "," : ""), data);
    }

    /** An .npy whose shape tuple is written as given, e.g. "10L, 28L, 28L" as Python 2's NumPy wrote it. */
    public static byte[] npy(String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length())
                .put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    public static byte[] zip(Map<String, byte[]> members) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : members.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** A 32x32 text bitmap with the given rows of '0'/'1' (CRLF line ends, as in the real set). */
    public static byte[] bitmap(long bits) {
        StringBuilder s = new StringBuilder();
        for (int r = 0; r < 32; r++) {
            for (int c = 0; c < 32; c++) s.append(((bits >>> ((r + c) % 64)) & 1) == 1 ? '1' : '0');
            s.append("\r\n");
        }
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A learnable MNIST-shaped set: each of 10 classes has a random binary prototype and every
     * example is its class's prototype with 10% of the pixels flipped. Written as IDX files.
     */
    public static Path syntheticMnist(Path dir, int train, int test, int side, boolean gz, long seed) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom random = new SplittableRandom(seed);
        int width = side * side;
        byte[][] prototypes = new byte[10][width];
        for (byte[] p : prototypes) for (int i = 0; i < width; i++) p[i] = random.nextInt(3) == 0 ? (byte) 255 : 0;
        for (String split : new String[]{"train", "t10k"}) {
            int n = split.equals("train") ? train : test;
            byte[] pixels = new byte[n * width];
            byte[] labels = new byte[n];
            for (int e = 0; e < n; e++) {
                int label = random.nextInt(10);
                labels[e] = (byte) label;
                for (int i = 0; i < width; i++) {
                    byte v = prototypes[label][i];
                    pixels[e * width + i] = random.nextInt(10) == 0 ? (byte) (255 - (v & 0xFF)) : v;
                }
            }
            byte[] images = idxImages(n, side, side, pixels);
            byte[] labelFile = idxLabels(labels);
            String suffix = gz ? ".gz" : "";
            Files.write(dir.resolve(split + "-images-idx3-ubyte" + suffix), gz ? gzip(images) : images);
            Files.write(dir.resolve(split + "-labels-idx1-ubyte" + suffix), gz ? gzip(labelFile) : labelFile);
        }
        return dir;
    }
}
