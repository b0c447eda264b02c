package sparkprop.bench;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lab's wide workload: MNIST at 64x64 (4096 inputs a row instead of 784), each digit padded
 * to 32x32 and every pixel doubled both ways, written as IDX beside the labels. Runs as a source
 * file: {@code java -cp ... WideData.java MNIST_DIR OUT_DIR}.
 */
public final class WideData {
    public static void main(String[] args) throws IOException {
        Path from = Path.of(args[0]), to = Path.of(args[1]);
        Files.createDirectories(to);
        for (String set : new String[]{"train", "t10k"}) {
            try (DataInputStream in = new DataInputStream(Files.newInputStream(from.resolve(set + "-images-idx3-ubyte")));
                 DataOutputStream out = new DataOutputStream(Files.newOutputStream(to.resolve(set + "-images-idx3-ubyte")))) {
                int magic = in.readInt(), n = in.readInt(), rows = in.readInt(), cols = in.readInt();
                out.writeInt(magic);
                out.writeInt(n);
                out.writeInt(64);
                out.writeInt(64);
                byte[] image = new byte[rows * cols], wide = new byte[64 * 64];
                for (int i = 0; i < n; i++) {
                    in.readFully(image);
                    java.util.Arrays.fill(wide, (byte) 0);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            byte v = image[r * cols + c];
                            int y = 2 * (r + 2), x = 2 * (c + 2);
                            wide[y * 64 + x] = v;
                            wide[y * 64 + x + 1] = v;
                            wide[(y + 1) * 64 + x] = v;
                            wide[(y + 1) * 64 + x + 1] = v;
                        }
                    }
                    out.write(wide);
                }
            }
            Files.copy(from.resolve(set + "-labels-idx1-ubyte"), to.resolve(set + "-labels-idx1-ubyte"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
