package sparkprop.core;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Inverted dropout: during training each input pixel is dropped with probability {@code input}
 * and each hidden unit with probability {@code hidden}; kept values are scaled by 1/(1 - rate) so
 * that the expected input of every layer is unchanged and prediction needs no correction.
 *
 * <p>A mask is a pure function of a seed, the layer and the element's position, so the trainer
 * can derive one seed per (step, shard) and every executor draws the same masks.
 */
public record Dropout(float input, float hidden) implements Serializable {
    public static final Dropout NONE = new Dropout(0, 0);

    public Dropout {
        if (!(input >= 0 && input < 1)) throw new IllegalArgumentException("input dropout " + input + ": expected a rate in [0, 1)");
        if (!(hidden >= 0 && hidden < 1)) throw new IllegalArgumentException("dropout " + hidden + ": expected a rate in [0, 1)");
    }

    public boolean active() {
        return input > 0 || hidden > 0;
    }

    /** The rate applied to the input of layer {@code l}: the pixels for l = 0, hidden units after. */
    public float rateBefore(int l) {
        return l == 0 ? input : hidden;
    }

    /**
     * Fills {@code mask[0, n)} with 0 (dropped) or 1/(1 - rate) (kept) for the input of layer
     * {@code l}. Each element is kept with probability 1 - rate, to a resolution of 2^-24.
     */
    public void fill(float[] mask, int n, int l, long seed) {
        float rate = rateBefore(l);
        float scale = 1f / (1f - rate);
        int dropBelow = (int) Math.round(rate * (double) (1 << 24));
        SplittableRandom random = new SplittableRandom(Seeds.derive(seed, 0xD0, l));
        for (int i = 0; i < n; i++) {
            // keep = 1 when the 24-bit draw is >= dropBelow, read off the sign of (dropBelow - 1 - draw):
            // a ?: here is an unpredictable branch at rate 0.5, and 5x slower.
            int keep = (dropBelow - 1 - (random.nextInt() >>> 8)) >>> 31;
            mask[i] = keep * scale;
        }
    }
}
