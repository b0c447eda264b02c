package sparkprop.core;

import java.io.IOException;
import java.nio.file.Path;

/** A trained network: its spec, how raw pixels become inputs, and its parameters. */
public record Model(NetworkSpec spec, float[] params) implements java.io.Serializable {
    /** The only input normalisation so far: x = pixel / 255 for uint8 pixels. */
    public static final String INPUT_NORMALISATION = "uint8/255";

    public Model {
        if (params.length != spec.parameterCount()) {
            throw new BadInputException("network " + spec.describeSizes() + " needs " + spec.parameterCount()
                    + " parameters, got " + params.length);
        }
    }

    /** Class probabilities (or outputs) of each example: x is (in, batch), the result (out, batch). */
    public float[] predict(float[] x, int batch) {
        return new Backprop(spec).forward(params, x, batch).clone();
    }

    /** The most likely class of each example. */
    public int[] predictClasses(float[] x, int batch) {
        int[] classes = new int[batch];
        Backprop.argmax(new Backprop(spec).forward(params, x, batch), spec.outputSize(), batch, classes);
        return classes;
    }

    /** Writes the documented model file atomically (see {@link ModelFile}). */
    public void save(Path file) throws IOException {
        ModelFile.save(this, file);
    }

    public static Model load(Path file) throws IOException {
        return ModelFile.load(file);
    }
}
