package sparkprop.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model file, format version 1. All integers and floats are little-endian.
 * <pre>
 *   offset  size  field
 *   0       8     magic, ASCII "SPRPMODL"
 *   8       4     int32 format version = 1
 *   12      4     int32 H, length of the header text
 *   16      H     header: UTF-8 lines "key=value\n" with
 *                   layers=784,100,10   hidden=relu   output=softmax   loss=ce
 *                   input=uint8/255 (x = value/255) or float32 (x = value, models trained on tables)
 *   16+H    4     int32 P, number of parameters
 *   20+H    4P    float32 parameters: for each layer W (in, out) row-major, then b (out)
 *   20+H+4P 32    SHA-256 of every byte before it
 * </pre>
 * Unknown header keys are ignored so later versions can add some; an unknown version is refused.
 */
public final class ModelFile {
    public static final byte[] MAGIC = "SPRPMODL".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    private static final int MAX_HEADER = 1 << 16;

    private ModelFile() {
    }

    public static byte[] encode(Model model) {
        NetworkSpec spec = model.spec();
        String header = "layers=" + String.join(",", Arrays.stream(spec.sizes()).mapToObj(Integer::toString).toList())
                + "\nhidden=" + spec.hidden().id() + "\noutput=" + spec.output().id() + "\nloss=" + spec.loss().id()
                + "\ninput=" + model.input().id() + "\n";
        byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
        float[] params = model.params();
        ByteBuffer body = ByteBuffer.allocate(16 + headerBytes.length + 4 + 4 * params.length + 32)
                .order(ByteOrder.LITTLE_ENDIAN);
        body.put(MAGIC).putInt(VERSION).putInt(headerBytes.length).put(headerBytes).putInt(params.length);
        body.asFloatBuffer().put(params);
        body.position(body.position() + 4 * params.length);
        body.put(sha256(body.array(), body.position()));
        return body.array();
    }

    /** Parses a model file's bytes; {@code name} is used in error messages. */
    public static Model decode(byte[] bytes, String name) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 16 + 4 + 32 || !Arrays.equals(Arrays.copyOf(bytes, 8), MAGIC)) {
            throw new ModelFileException(name + ": not a sparkprop model file (no SPRPMODL magic)");
        }
        in.position(8);
        int version = in.getInt();
        if (version != VERSION) {
            throw new ModelFileException(name + ": model format version " + version + " is not supported (this build reads "
                    + VERSION + ")");
        }
        int headerLength = in.getInt();
        if (headerLength < 0 || headerLength > MAX_HEADER || 16L + headerLength + 4 + 32 > bytes.length) {
            throw new ModelFileException(name + ": header length " + headerLength + " does not fit a file of "
                    + bytes.length + " bytes (truncated or corrupt)");
        }
        byte[] expected = sha256(bytes, bytes.length - 32);
        if (!Arrays.equals(expected, Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length))) {
            throw new ModelFileException(name + ": checksum mismatch (the file is truncated or corrupt)");
        }
        Map<String, String> header = parseHeader(new String(bytes, 16, headerLength, StandardCharsets.UTF_8), name);
        NetworkSpec spec;
        try {
            int[] sizes = Arrays.stream(require(header, "layers", name).split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
            spec = new NetworkSpec(sizes, Activation.parse(require(header, "hidden", name)),
                    Activation.parse(require(header, "output", name)), Loss.parse(require(header, "loss", name)));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(name + ": bad network description in header: " + e.getMessage());
        }
        // Files from before tables have no input line: their inputs were pixels/255.
        InputScaling input = InputScaling.byId(header.getOrDefault("input", InputScaling.UINT8.id()));
        if (input == null) throw new ModelFileException(name + ": unknown input normalisation '" + header.get("input") + "'");
        in.position(16 + headerLength);
        int count = in.getInt();
        if (count != spec.parameterCount() || 16L + headerLength + 4 + 4L * count + 32 != bytes.length) {
            throw new ModelFileException(name + ": holds " + count + " parameters in " + bytes.length + " bytes but "
                    + spec.describeSizes() + " needs " + spec.parameterCount());
        }
        float[] params = new float[count];
        in.asFloatBuffer().get(params);
        return new Model(spec, params, input);
    }

    /** Writes to a temporary name and renames it, so a crash never leaves a half-written model. */
    public static void save(Model model, Path file) throws IOException {
        writeAtomically(file, encode(model));
    }

    public static Model load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new ModelFileException(file + ": no such model file");
        return decode(Files.readAllBytes(file), file.toString());
    }

    /** Temporary file in the same folder, then an atomic rename over the target. */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static String sha256Hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : sha256(bytes, bytes.length)) s.append(String.format("%02x", b));
        return s.toString();
    }

    /** SHA-256 of the first {@code length} bytes; the trailer of model and checkpoint files. */
    public static byte[] sha256(byte[] bytes, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, 0, length);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    private static Map<String, String> parseHeader(String text, String name) {
        Map<String, String> header = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            int eq = line.indexOf('=');
            if (eq <= 0) throw new ModelFileException(name + ": header line '" + line + "' is not key=value");
            header.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
        return header;
    }

    private static String require(Map<String, String> header, String key, String name) {
        String v = header.get(key);
        if (v == null) throw new ModelFileException(name + ": header has no '" + key + "'");
        return v;
    }
}
