package sparkprop.eval;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.ImageIO;

/** Examples as pictures: one digit as a PNG, or a labelled contact sheet of many. */
public final class DigitImages {
    private DigitImages() {
    }

    /** The pixels (side x side, uint8, ink bright as in MNIST) as a grayscale image, enlarged {@code scale} times. */
    public static BufferedImage image(byte[] pixels, int offset, int side, int scale, boolean darkInk) {
        BufferedImage img = new BufferedImage(side * scale, side * scale, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < side * scale; y++) {
            for (int x = 0; x < side * scale; x++) {
                int v = pixels[offset + (y / scale) * side + x / scale] & 0xFF;
                if (darkInk) v = 255 - v;
                img.getRaster().setSample(x, y, 0, v);
            }
        }
        return img;
    }

    public static byte[] png(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Side of a square image of {@code width} pixels, or an error for a width that is not a square. */
    /** The side of square images of {@code width} pixels, or 0 when the examples are not square images (a table of features). */
    public static int sideOrZero(int width) {
        int side = (int) Math.round(Math.sqrt(width));
        return side * side == width ? side : 0;
    }

    public static int side(int width) {
        int side = (int) Math.round(Math.sqrt(width));
        if (side * side != width) throw new sparkprop.core.BadInputException("examples of " + width + " pixels are not square images");
        return side;
    }

    /** One cell of a contact sheet: the pixels and the caption under them. */
    public record Tile(byte[] pixels, int offset, String caption) {
    }

    /** A grid of digits, each with its caption, dark ink on white so it prints and reads well. */
    public static BufferedImage contactSheet(List<Tile> tiles, int side, int columns, int scale) {
        int cell = side * scale, captionHeight = 16, pad = 6;
        int rows = (tiles.size() + columns - 1) / columns;
        BufferedImage sheet = new BufferedImage(columns * (cell + pad) + pad, rows * (cell + captionHeight + pad) + pad, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i < tiles.size(); i++) {
            int x = pad + (i % columns) * (cell + pad), y = pad + (i / columns) * (cell + captionHeight + pad);
            Tile t = tiles.get(i);
            g.drawImage(image(t.pixels(), t.offset(), side, scale, true), x, y, null);
            g.setColor(Color.DARK_GRAY);
            g.drawString(t.caption(), x, y + cell + 12);
        }
        g.dispose();
        return sheet;
    }
}
