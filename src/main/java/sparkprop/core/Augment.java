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
        // Below half a pixel the blur's weights underflow (NaN images); far above any image it only costs memory.
        if (sigma > 0 && (sigma < MIN_SIGMA || sigma > MAX_SIGMA)) {
            throw new IllegalArgumentException("elastic-sigma=" + sigma + ": expected " + MIN_SIGMA + " to " + MAX_SIGMA + " pixels (Simard: 4)");
        }
    }

    private static final double MIN_SIGMA = 0.5, MAX_SIGMA = 1000;

    /**
     * What is wrong with distorting examples of {@code width} values, or null: they must be square
     * images, and the distortion must leave a digit in them. A shift beyond half the side moves the
     * digit out of the picture, a blur wider than the picture is a constant field, and an elastic
     * alpha beyond four sides scatters the pixels; each trains to chance without failing.
     */
    public String problemFor(int width) {
        if (!active()) return null;
        int side = side(width);
        if (side < 0) return "needs square images, and the data's " + width + " values per example are not a square";
        String size = " for these " + side + "x" + side + " images";
        if (shift > side / 2.0) return "shift=" + shift + ": expected 0 to " + side / 2.0 + " pixels (half the side)" + size;
        if (sigma > side) return "elastic-sigma=" + sigma + ": expected " + MIN_SIGMA + " to " + side + " pixels (the side)" + size;
        if (alpha > 4.0 * side) return "elastic-alpha=" + alpha + ": expected 0 to " + 4 * side + " pixels (four sides)" + size;
        return null;
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
        /** The source image with a border of one zero pixel, so that bilinear reads need no bounds checks. */
        final float[] padded;
        /** The displacement fields, dx then dy (row-major each), and the blur's intermediate. */
        final float[] fields, blurred;
        /** The Gaussian blur as a side x side band matrix (symmetric), built once per sigma. */
        float[] blur = new float[0];
        double blurSigma = -1;

        public Scratch(int side) {
            this.side = side;
            int n = side * side;
            padded = new float[(side + 2) * (side + 2)];
            fields = new float[2 * n];
            blurred = new float[2 * n];
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
        int wide = side + 2;
        float[] src = scratch.padded;
        for (int row = 0; row < side; row++) System.arraycopy(x, offset + row * side, src, (row + 1) * wide + 1, side);
        for (int row = 0; row < side; row++) {
            double u0 = -centre - tx, v = row - centre - ty;
            for (int col = 0; col < side; col++) {
                int i = row * side + col;
                double u = u0 + col;
                double sx = ia * u + ib * v + centre, sy = ic * u + id * v + centre;
                if (elastic) {
                    sx += scratch.fields[i];
                    sy += scratch.fields[n + i];
                }
                x[offset + i] = sample(src, wide, sx, sy);
            }
        }
    }

    private static double uniform(SplittableRandom random, double range) {
        double u = random.nextDouble(); // drawn even when the range is 0, so each transform's draws stay put when another is turned on
        return range == 0 ? 0 : (2 * u - 1) * range;
    }

    /**
     * Bilinear interpolation at (sx, sy) of the image held in {@code padded} (width {@code wide},
     * a zero border around it), 0 beyond the border.
     */
    private static float sample(float[] padded, int wide, double sx, double sy) {
        double px = sx + 1, py = sy + 1; // in the padded frame
        if (!(px >= 0 && py >= 0 && px < wide - 1 && py < wide - 1)) return 0f;
        int x0 = (int) px, y0 = (int) py; // floor, as both are >= 0
        float fx = (float) (px - x0), fy = (float) (py - y0);
        int at = y0 * wide + x0;
        float p00 = padded[at], p10 = padded[at + 1], p01 = padded[at + wide], p11 = padded[at + wide + 1];
        float top = p00 + fx * (p10 - p00), bottom = p01 + fx * (p11 - p01);
        return top + fy * (bottom - top);
    }

    /**
     * Simard's displacement fields into scratch.fields (dx, then dy): uniform in [-1, 1], blurred
     * by a Gaussian of standard deviation sigma with zeros beyond the edges, times alpha.
     */
    private void field(long seed, Scratch s) {
        int side = s.side, n = side * side;
        if (s.blurSigma != sigma) {
            s.blur = blurMatrix(side, sigma);
            s.blurSigma = sigma;
        }
        SplittableRandom random = new SplittableRandom(Seeds.derive(seed, FIELD));
        for (int i = 0; i < 2 * n; i++) s.fields[i] = (float) (2 * random.nextDouble() - 1);
        // A separable blur is B F B for the band matrix B (symmetric); read as column-major, each
        // row-major field is its transpose, and B F^T B = (B F B)^T, so the same products serve.
        // Three small sgemm calls cost a fraction of the 25-tap loops they replace.
        dev.ludovic.netlib.blas.BLAS blas = Blas.get();
        blas.sgemm("N", "N", side, 2 * side, side, 1f, s.blur, 0, side, s.fields, 0, side, 0f, s.blurred, 0, side);
        for (int f = 0; f < 2; f++) {
            blas.sgemm("N", "N", side, side, side, (float) alpha, s.blurred, f * n, side, s.blur, 0, side, 0f, s.fields, f * n, side);
        }
    }

    /** The blur along one axis as a matrix: entry (i, j) is the normalised Gaussian weight of pixel j for pixel i, within 3 sigma. */
    static float[] blurMatrix(int side, double sigma) {
        int radius = (int) Math.ceil(3 * sigma);
        float[] kernel = new float[2 * radius + 1];
        double sum = 0;
        for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] = (float) Math.exp(-k * k / (2 * sigma * sigma));
        for (int k = 0; k < kernel.length; k++) kernel[k] /= (float) sum;
        float[] m = new float[side * side];
        for (int i = 0; i < side; i++) {
            for (int j = Math.max(0, i - radius); j <= Math.min(side - 1, i + radius); j++) m[j * side + i] = kernel[j - i + radius];
        }
        return m;
    }
}
