package sparkprop.core;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random distortions of square grey images, drawn afresh for every example at every step: an
 * affine map (shift, rotation, scaling, shear about the centre) and Simard's elastic distortion
 * (Simard, Steinkraus and Platt, ICDAR 2003: a field of uniform random displacements in [-1, 1]
 * smoothed by a Gaussian of standard deviation sigma and scaled by alpha). Each output pixel is
 * read from where the inverse map sends it, by bilinear interpolation, with 0 (background)
 * outside the picture.
 *
 * <p>Every draw comes from a seed the caller derives from (seed, epoch, step, shard, example), so
 * the same example at the same step is distorted the same way on any executor, after a lost
 * task is run again and after a resume. Each value is drawn uniformly within ±its setting.
 *
 * @param shift   pixels, along each axis
 * @param rotate  degrees
 * @param scale   fraction: a draw of 0.1 makes the digit 10% larger
 * @param shear   degrees, horizontal shear
 * @param alpha   elastic: how far, in pixels, the smoothed field moves pixels (0: off)
 * @param sigma   elastic: smoothness of the field, in pixels
 */
public record Augment(double shift, double rotate, double scale, double shear, double alpha, double sigma) implements Serializable {
    public static final Augment NONE = new Augment(0, 0, 0, 0, 0, 0);
    /** The names {@link #parse} takes, in the order of the components. */
    public static final String[] NAMES = {"shift", "rotate", "scale", "shear", "elastic-alpha", "elastic-sigma"};
    private static final long FIELD = 0xE1A5;

    public Augment {
        double[] v = {shift, rotate, scale, shear, alpha, sigma};
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0 && Double.isFinite(v[i]))) throw new IllegalArgumentException(NAMES[i] + "=" + v[i] + ": expected a number >= 0");
        }
        if (scale >= 1) throw new IllegalArgumentException("scale=" + scale + ": expected a fraction below 1, e.g. 0.1");
        if (shear >= 90 || rotate > 180) throw new IllegalArgumentException("rotate is at most 180 degrees and shear below 90");
        if (alpha > 0 && sigma <= 0) throw new IllegalArgumentException("elastic-alpha needs elastic-sigma > 0 (Simard: alpha 34, sigma 4)");
    }

    /**
     * Reads a spec such as {@code shift=2,rotate=10} (empty or {@code none}: no augmentation).
     *
     * @throws IllegalArgumentException naming the part that is wrong
     */
    public static Augment parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        if (s.isEmpty() || s.equals("none")) return NONE;
        Map<String, Double> values = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            String[] kv = part.split("=", 2);
            String name = kv[0].trim();
            if (kv.length != 2 || java.util.Arrays.stream(NAMES).noneMatch(name::equals)) {
                throw new IllegalArgumentException("'" + part.trim() + "': expected name=value with a name from " + String.join(", ", NAMES));
            }
            if (values.containsKey(name)) throw new IllegalArgumentException(name + " given twice");
            try {
                values.put(name, Double.parseDouble(kv[1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + "=" + kv[1].trim() + ": not a number");
            }
        }
        double alpha = values.getOrDefault("elastic-alpha", 0.0);
        return new Augment(values.getOrDefault("shift", 0.0), values.getOrDefault("rotate", 0.0), values.getOrDefault("scale", 0.0),
                values.getOrDefault("shear", 0.0), alpha, values.getOrDefault("elastic-sigma", 0.0));
    }

    /** The spec {@link #parse} reads back, with only the transforms in use ("none" for none). */
    public String spec() {
        double[] v = {shift, rotate, scale, shear, alpha, sigma};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            if (v[i] == 0) continue;
            if (b.length() > 0) b.append(',');
            b.append(NAMES[i]).append('=').append(v[i] == Math.rint(v[i]) ? String.valueOf((long) v[i]) : String.valueOf(v[i]));
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    public boolean active() {
        return shift > 0 || rotate > 0 || scale > 0 || shear > 0 || alpha > 0;
    }

    /** The side of a square image of {@code width} pixels, or -1 if it is not square. */
    public static int side(int width) {
        int side = (int) Math.round(Math.sqrt(width));
        return side * side == width ? side : -1;
    }

    /** Work buffers for one thread, reused across images of one side. */
    public static final class Scratch {
        final int side;
        final float[] source, dx, dy, tmp;
        float[] kernel = new float[0];
        double kernelSigma = -1;

        public Scratch(int side) {
            this.side = side;
            int n = side * side;
            source = new float[n];
            dx = new float[n];
            dy = new float[n];
            tmp = new float[n];
        }
    }

    /**
     * Distorts the image at {@code x[offset, offset + side²)} in place (row-major, values as the
     * network sees them), with every draw from {@code seed}.
     */
    public void apply(float[] x, int offset, Scratch scratch, long seed) {
        int side = scratch.side, n = side * side;
        SplittableRandom random = new SplittableRandom(seed);
        double tx = uniform(random, shift), ty = uniform(random, shift);
        double angle = Math.toRadians(uniform(random, rotate)), zoom = 1 + uniform(random, scale), slant = Math.tan(Math.toRadians(uniform(random, shear)));
        // Forward map about the centre: p' = c + Z R S (p - c) + t. Pixels are read through its inverse.
        double cos = Math.cos(angle), sin = Math.sin(angle);
        double a = zoom * cos, b = zoom * (cos * slant - sin), c = zoom * sin, d = zoom * (sin * slant + cos);
        double det = a * d - b * c;
        double ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
        double centre = (side - 1) / 2.0;
        boolean elastic = alpha > 0;
        if (elastic) field(random.nextLong(), scratch);
        System.arraycopy(x, offset, scratch.source, 0, n);
        float[] src = scratch.source;
        for (int row = 0; row < side; row++) {
            for (int col = 0; col < side; col++) {
                int i = row * side + col;
                double u = col - centre - tx, v = row - centre - ty;
                double sx = ia * u + ib * v + centre, sy = ic * u + id * v + centre;
                if (elastic) {
                    sx += scratch.dx[i];
                    sy += scratch.dy[i];
                }
                x[offset + i] = sample(src, side, sx, sy);
            }
        }
    }

    private static double uniform(SplittableRandom random, double range) {
        double u = random.nextDouble(); // drawn even when the range is 0, so each transform's draws stay put when another is turned on
        return range == 0 ? 0 : (2 * u - 1) * range;
    }

    /** Bilinear interpolation, 0 outside the image. */
    private static float sample(float[] img, int side, double sx, double sy) {
        int x0 = (int) Math.floor(sx), y0 = (int) Math.floor(sy);
        float fx = (float) (sx - x0), fy = (float) (sy - y0);
        float p00 = at(img, side, x0, y0), p10 = at(img, side, x0 + 1, y0), p01 = at(img, side, x0, y0 + 1), p11 = at(img, side, x0 + 1, y0 + 1);
        float top = p00 + fx * (p10 - p00), bottom = p01 + fx * (p11 - p01);
        return top + fy * (bottom - top);
    }

    private static float at(float[] img, int side, int x, int y) {
        return x < 0 || y < 0 || x >= side || y >= side ? 0f : img[y * side + x];
    }

    /** Simard's displacement field into scratch.dx and dy: uniform in [-1, 1], Gaussian-smoothed (separable), times alpha. */
    private void field(long seed, Scratch s) {
        if (s.kernelSigma != sigma) {
            int radius = (int) Math.ceil(3 * sigma);
            s.kernel = new float[2 * radius + 1];
            double sum = 0;
            for (int k = -radius; k <= radius; k++) sum += s.kernel[k + radius] = (float) Math.exp(-k * k / (2 * sigma * sigma));
            for (int k = 0; k < s.kernel.length; k++) s.kernel[k] /= (float) sum;
            s.kernelSigma = sigma;
        }
        SplittableRandom random = new SplittableRandom(Seeds.derive(seed, FIELD));
        for (float[] f : new float[][]{s.dx, s.dy}) {
            for (int i = 0; i < f.length; i++) f[i] = (float) (2 * random.nextDouble() - 1);
            smooth(f, s.tmp, s.side, s.kernel);
            for (int i = 0; i < f.length; i++) f[i] *= (float) alpha;
        }
    }

    /** Separable Gaussian blur of {@code f} in place, zero beyond the edges (as Simard's convolution). */
    private static void smooth(float[] f, float[] tmp, int side, float[] kernel) {
        int r = kernel.length / 2;
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                float acc = 0;
                for (int k = Math.max(-r, -x); k <= Math.min(r, side - 1 - x); k++) acc += kernel[k + r] * f[y * side + x + k];
                tmp[y * side + x] = acc;
            }
        }
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                float acc = 0;
                for (int k = Math.max(-r, -y); k <= Math.min(r, side - 1 - y); k++) acc += kernel[k + r] * tmp[(y + k) * side + x];
                f[y * side + x] = acc;
            }
        }
    }
}
