package sparkprop.core;

/**
 * How a model's raw features (pixels 0..255, or a table's numbers) become its inputs. A model
 * carries its scaling, and every path that makes inputs (training, evaluate, predict, the
 * Estimator's transform) multiplies by {@link #scale}, so the same value gives the same bits
 * everywhere.
 */
public enum InputScaling {
    /** x = value / 255: pictures, and tables of whole numbers 0..255. */
    UINT8("uint8/255", 1f / 255f),
    /** x = value: any other table. */
    FLOAT32("float32", 1f);

    private final String id;
    private final float scale;

    InputScaling(String id, float scale) {
        this.id = id;
        this.scale = scale;
    }

    /** The name model files and summaries use. */
    public String id() {
        return id;
    }

    /** The factor a raw value is multiplied by (multiplied, not divided: the bits of x * (1/255) and x / 255 differ). */
    public float scale() {
        return scale;
    }

    /** One raw value as an input. */
    public float input(float raw) {
        return raw * scale;
    }

    /** Pixels (bytes 0..255) as inputs, written to {@code x} from {@code offset}. */
    public void pixelsToInputs(byte[] pixels, float[] x, int offset) {
        for (int i = 0; i < pixels.length; i++) x[offset + i] = (pixels[i] & 0xFF) * scale;
    }

    /** The scaling named {@code id}, or null if none is. */
    public static InputScaling byId(String id) {
        for (InputScaling s : values()) if (s.id.equals(id)) return s;
        return null;
    }

    @Override
    public String toString() {
        return id;
    }
}
