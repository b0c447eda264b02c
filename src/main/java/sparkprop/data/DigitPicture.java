package sparkprop.data;

import java.awt.image.BufferedImage;

/**
 * Turns a picture of one handwritten digit, of any size, into the format MNIST was made in:
 * grayscale with bright ink on black (inverted when the background is light), cropped to the
 * ink, scaled to fit a 20x20 box keeping its aspect ratio, and placed in 28x28 so that its
 * centre of mass is at the centre. Other input sizes scale the same way (box = 20/28 of the side).
 */
public final class DigitPicture {
    /** The most pixels a picture may declare (4096 x 4096): decoding one costs about 12 bytes a pixel here. */
    public static final long MAX_PIXELS = 4096L * 4096;

    private DigitPicture() {
    }

    /**
     * Decodes a picture (PNG, JPEG, GIF, BMP), or returns null when no reader knows its format. A picture whose header
     * declares more than {@link #MAX_PIXELS} is refused, naming {@code name}, before its pixels are decoded: a small file
     * can declare 30000 x 30000, and decoding it would take the heap that the pictures beside it need.
     */
    public static BufferedImage read(java.io.InputStream bytes, String name) throws java.io.IOException {
        try (javax.imageio.stream.ImageInputStream in = javax.imageio.ImageIO.createImageInputStream(bytes)) {
            java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? null : javax.imageio.ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) return null;
            javax.imageio.ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0), height = reader.getHeight(0);
                if (width * height > MAX_PIXELS) {
                    throw new DataException(name + ": a picture of " + width + "x" + height + " pixels, more than the " + MAX_PIXELS
                            + " (4096x4096) a digit's picture may have; scale it down");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * Area averaging: each target pixel is the mean of the source area it covers, with partial
     * pixels weighted by overlap. Shrinking keeps thin strokes as grey instead of dropping them,
     * which is how MNIST's anti-aliased digits look.
     */
    static double[][] resample(double[][] src, int left, int top, int w, int h, int tw, int th, double gain) {
        double[][] out = new double[th][tw];
        double fx = (double) w / tw, fy = (double) h / th;
        for (int ty = 0; ty < th; ty++) {
            double y0 = ty * fy, y1 = y0 + fy;
            for (int tx = 0; tx < tw; tx++) {
                double x0 = tx * fx, x1 = x0 + fx, sum = 0;
                for (int y = (int) y0; y < Math.min(h, Math.ceil(y1)); y++) {
                    double wy = Math.min(y1, y + 1) - Math.max(y0, y);
                    for (int x = (int) x0; x < Math.min(w, Math.ceil(x1)); x++) {
                        double wx = Math.min(x1, x + 1) - Math.max(x0, x);
                        sum += wx * wy * src[top + y][left + x];
                    }
                }
                out[ty][tx] = Math.min(255, gain * sum / (fx * fy));
            }
        }
        return out;
    }

    /** The picture as {@code side * side} uint8 pixels, row-major, ready for a model of that input size. */
    public static byte[] toDigit(BufferedImage picture, int side, String name) {
        int w = picture.getWidth(), h = picture.getHeight();
        double[][] ink = new double[h][w];
        // Grayscale on a white background (transparent pixels count as paper).
        double borderSum = 0;
        int borderCount = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = picture.getRGB(x, y);
                double alpha = ((argb >>> 24) & 0xFF) / 255.0;
                double gray = 0.299 * ((argb >> 16) & 0xFF) + 0.587 * ((argb >> 8) & 0xFF) + 0.114 * (argb & 0xFF);
                gray = alpha * gray + (1 - alpha) * 255;
                ink[y][x] = gray;
                if (x == 0 || y == 0 || x == w - 1 || y == h - 1) {
                    borderSum += gray;
                    borderCount++;
                }
            }
        }
        double background = borderSum / borderCount;
        boolean lightBackground = background > 127;
        double max = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = lightBackground ? 255 - ink[y][x] : ink[y][x];
                double paper = lightBackground ? 255 - background : background;
                ink[y][x] = Math.max(0, v - paper); // paper that is not pure white or black is not ink
                max = Math.max(max, ink[y][x]);
            }
        }
        if (max < 16) throw new DataException(name + ": no ink found (the picture is blank)");

        // Bounding box of the ink, ignoring faint specks.
        int top = h, bottom = -1, left = w, right = -1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (ink[y][x] > 0.2 * max) {
                    top = Math.min(top, y);
                    bottom = Math.max(bottom, y);
                    left = Math.min(left, x);
                    right = Math.max(right, x);
                }
            }
        }
        int boxW = right - left + 1, boxH = bottom - top + 1;
        int fit = Math.max(1, Math.round(side * 20f / 28f));
        double scale = (double) fit / Math.max(boxW, boxH);
        int sw = Math.max(1, (int) Math.round(boxW * scale)), sh = Math.max(1, (int) Math.round(boxH * scale));
        double[][] s = resample(ink, left, top, boxW, boxH, sw, sh, 255 / max);

        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < sw; x++) {
                mass += s[y][x];
                cx += s[y][x] * x;
                cy += s[y][x] * y;
            }
        }
        cx /= mass;
        cy /= mass;
        int offsetX = (int) Math.round(side / 2.0 - 0.5 - cx), offsetY = (int) Math.round(side / 2.0 - 0.5 - cy);
        byte[] digit = new byte[side * side];
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < sw; x++) {
                int tx = x + offsetX, ty = y + offsetY;
                if (tx >= 0 && ty >= 0 && tx < side && ty < side) digit[ty * side + tx] = (byte) Math.min(255, Math.round(s[y][x]));
            }
        }
        return digit;
    }
}
