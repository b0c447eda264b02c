package sparkprop.core;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A trained network: its spec, its parameters, and how raw features become its inputs: {@link
 * #UINT8} (x = value/255, what images and whole-number 0..255 tables train with) or {@link #FLOAT32}
 * (x = value, any other table).
 */
public record Model(NetworkSpec spec, float[] params, String input) implements java.io.Serializable {
    /** Inputs are uint8 pixels scaled by 1/255. */
    public static final String UINT8 = "uint8/255";
    /** Inputs are float32 values used as they are. */
    public static final String FLOAT32 = "float32";
    /** The default input scaling (and the only one before tables). */
    public static final String INPUT_NORMALISATION = UINT8;

    public Model {
        if (params.length != spec.parameterCount()) {
            throw new BadInputException("network " + spec.describeSizes() + " needs " + spec.parameterCount()
                    + " parameters, got " + params.length);
        }
        if (!input.equals(UINT8) && !input.equals(FLOAT32)) throw new BadInputException("unknown input scaling '" + input + "'");
    }

    /** A model of uint8/255 inputs. */
    public Model(NetworkSpec spec, float[] params) {
        this(spec, params, UINT8);
    }

    /**
     * The factor a raw feature value (as a float) is multiplied by to become a network input: 1/255
     * for {@link #UINT8}, as {@code Examples} scales pixels, so the bits agree; 1 for {@link #FLOAT32}.
     */
    public float inputScale() {
        return input.equals(UINT8) ? 1f / 255f : 1f;
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
