package sparkprop.core;

import java.io.IOException;
import java.nio.file.Path;

/** A trained network: its spec, its parameters, and how raw features become its inputs. */
public record Model(NetworkSpec spec, float[] params, InputScaling input) implements java.io.Serializable {
    public Model {
        if (params.length != spec.parameterCount()) {
            throw new BadInputException("network " + spec.describeSizes() + " needs " + spec.parameterCount()
                    + " parameters, got " + params.length);
        }
        java.util.Objects.requireNonNull(input, "input scaling");
    }

    /** A model of uint8/255 inputs. */
    public Model(NetworkSpec spec, float[] params) {
        this(spec, params, InputScaling.UINT8);
    }

    /** Pictures (pixels 0..255, each {@code spec().inputSize()} long) as this model's inputs, one column each. */
    public float[] inputs(java.util.List<byte[]> pictures) {
        int width = spec.inputSize();
        float[] x = new float[pictures.size() * width];
        for (int j = 0; j < pictures.size(); j++) input.pixelsToInputs(pictures.get(j), x, j * width);
        return x;
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
