package sparkprop.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import sparkprop.core.Activation;
import sparkprop.core.InputScaling;
import sparkprop.core.Loss;
import sparkprop.core.Model;
import sparkprop.core.NetworkSpec;

/**
 * A model as NumPy arrays, for the tutorials' code: {@code W1, b1, W2, b2, ...} float32 with W of
 * shape (in, out) so that {@code a = f(a @ W + b)}, plus {@code sizes} (int32), {@code activations}
 * (strings, one per layer, the last being the output's), {@code loss} and {@code input} (how raw
 * features become inputs: "uint8/255" or "float32"; a file without it means "uint8/255", as the
 * tutorials' pixels are). Importing also takes
 * the (out, in) layout with (out, 1) biases that Nielsen's network.py saves, recognised by how the
 * shapes chain; activations missing from the file must be given.
 */
public final class ModelNpz {
    private ModelNpz() {
    }

    public static byte[] write(Model model) {
        NetworkSpec spec = model.spec();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            float[] p = model.params();
            String[] activations = new String[spec.layerCount()];
            for (int l = 0; l < spec.layerCount(); l++) {
                int in = spec.in(l), out = spec.out(l);
                float[] w = java.util.Arrays.copyOfRange(p, spec.weightOffset(l), spec.weightOffset(l) + in * out);
                float[] b = java.util.Arrays.copyOfRange(p, spec.biasOffset(l), spec.biasOffset(l) + out);
                put(zip, "W" + (l + 1), Npy.write("<f4", new long[]{in, out}, Npy.floats(w)));
                put(zip, "b" + (l + 1), Npy.write("<f4", new long[]{out}, Npy.floats(b)));
                activations[l] = spec.activation(l).id();
            }
            int[] sizes = spec.sizes();
            ByteBuffer s = ByteBuffer.allocate(4 * sizes.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : sizes) s.putInt(v);
            put(zip, "sizes", Npy.write("<i4", new long[]{sizes.length}, s.array()));
            put(zip, "activations", Npy.write("<U8", new long[]{activations.length}, Npy.strings(activations, 8)));
            put(zip, "loss", Npy.write("<U3", new long[]{}, Npy.strings(new String[]{spec.loss().id()}, 3)));
            String input = model.input().id();
            put(zip, "input", Npy.write("<U" + input.length(), new long[]{}, Npy.strings(new String[]{input}, input.length())));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void put(ZipOutputStream zip, String name, byte[] npy) throws IOException {
        zip.putNextEntry(new ZipEntry(name + ".npy"));
        zip.write(npy);
        zip.closeEntry();
    }

    /**
     * Reads an .npz of W1, b1, ...; {@code hidden}, {@code output} and {@code loss} are used when
     * the file does not say (null: required from the file).
     */
    public static Model read(byte[] npz, String name, Activation hidden, Activation output, Loss loss) {
        Map<String, float[]> floats = new HashMap<>();
        Map<String, long[]> shapes = new HashMap<>();
        String[] activations = null;
        String lossName = null;
        String inputName = null;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(npz))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String member = entry.getName().replaceFirst("\\.npy$", "");
                Npy.Header header = Npy.readHeader(zip, name + ":" + entry.getName());
                if (member.matches("[Wb]\\d+")) {
                    floats.put(member, Npy.readFloats(zip, header, name + ":" + entry.getName()));
                    shapes.put(member, header.shape());
                } else if (member.equals("activations")) {
                    activations = Npy.readStrings(zip, header, name + ":activations");
                } else if (member.equals("loss")) {
                    lossName = Npy.readString(zip, header, name + ":loss");
                } else if (member.equals("input")) {
                    inputName = Npy.readString(zip, header, name + ":input");
                }
            }
        } catch (ZipException e) {
            throw new DataException(name + ": not a readable .npz (zip) file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DataException(name + ": cannot be read: " + e.getMessage(), e);
        }
        int layers = 0;
        while (floats.containsKey("W" + (layers + 1))) layers++;
        if (layers == 0) throw new DataException(name + ": has no W1 array (expected W1, b1, W2, b2, ...)");
        for (int l = 1; l <= layers; l++) {
            if (!floats.containsKey("b" + l)) throw new DataException(name + ": has W" + l + " but no b" + l);
            if (shapes.get("W" + l).length != 2) throw new DataException(name + ": W" + l + " is not a matrix");
        }
        boolean outIn = isOutIn(shapes, layers, name);
        int[] sizes = new int[layers + 1];
        for (int l = 1; l <= layers; l++) {
            long[] w = shapes.get("W" + l);
            sizes[l - 1] = (int) (outIn ? w[1] : w[0]);
            sizes[l] = (int) (outIn ? w[0] : w[1]);
            if (floats.get("b" + l).length != sizes[l]) {
                throw new DataException(name + ": b" + l + " has " + floats.get("b" + l).length + " values but W" + l + " has " + sizes[l] + " outputs");
            }
        }
        if (activations != null && activations.length != layers) {
            throw new DataException(name + ": 'activations' names " + activations.length + " layers but there are " + layers);
        }
        try {
            Activation h = activations != null && layers > 1 ? Activation.parse(activations[0]) : hidden;
            Loss lo = lossName != null ? Loss.parse(lossName) : loss;
            Activation o = activations != null ? Activation.parse(activations[layers - 1]) : output != null ? output : lo == null ? null : lo.defaultOutput();
            if (h == null && layers > 1) throw new DataException(name + ": does not say its hidden activation; give --activation");
            if (lo == null) throw new DataException(name + ": does not say its loss; give --loss (ce or mse)");
            NetworkSpec spec = new NetworkSpec(sizes, h == null ? Activation.IDENTITY : h, o, lo);
            float[] params = new float[spec.parameterCount()];
            for (int l = 0; l < layers; l++) {
                float[] w = floats.get("W" + (l + 1));
                // A NaN or infinite weight would answer NaN for every picture: refused here, by array and place.
                for (String part : new String[]{"W", "b"}) {
                    float[] values = floats.get(part + (l + 1));
                    for (int i = 0; i < values.length; i++) {
                        if (!Float.isFinite(values[i])) {
                            throw new DataException(name + ": " + part + (l + 1) + " holds " + values[i] + " at flat index " + i
                                    + "; a model's weights must be finite numbers");
                        }
                    }
                }
                int in = sizes[l], out = sizes[l + 1], offset = spec.weightOffset(l);
                for (int i = 0; i < in; i++) {
                    for (int j = 0; j < out; j++) params[offset + i * out + j] = outIn ? w[j * in + i] : w[i * out + j];
                }
                System.arraycopy(floats.get("b" + (l + 1)), 0, params, spec.biasOffset(l), out);
            }
            InputScaling input = inputName == null ? InputScaling.UINT8 : InputScaling.byId(inputName);
            if (input == null) throw new DataException(name + ": input '" + inputName + "': expected uint8/255 or float32");
            return new Model(spec, params, input);
        } catch (IllegalArgumentException e) {
            throw new DataException(name + ": " + e.getMessage());
        }
    }

    /** Whether weights are stored (out, in) as network.py does: the shapes chain only one way. */
    private static boolean isOutIn(Map<String, long[]> shapes, int layers, String name) {
        boolean inOut = true, outIn = true;
        for (int l = 1; l < layers; l++) {
            inOut &= shapes.get("W" + l)[1] == shapes.get("W" + (l + 1))[0];
            outIn &= shapes.get("W" + l)[0] == shapes.get("W" + (l + 1))[1];
        }
        long biasLength = 1;
        for (long d : shapes.get("b" + layers)) biasLength *= d;
        long[] last = shapes.get("W" + layers);
        inOut &= last[1] == biasLength;
        outIn &= last[0] == biasLength;
        if (!inOut && !outIn) throw new DataException(name + ": the W and b shapes do not chain into a network");
        return !inOut;
    }
}
