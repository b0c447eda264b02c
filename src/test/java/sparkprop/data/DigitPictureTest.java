package sparkprop.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class DigitPictureTest {
    /** A "0"-like ring drawn off-centre in a large canvas, dark ink on white paper. */
    private static BufferedImage scan(int size, int x, int y, int w, int h, boolean darkOnWhite) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(darkOnWhite ? Color.WHITE : Color.BLACK);
        g.fillRect(0, 0, size, size);
        g.setColor(darkOnWhite ? Color.BLACK : Color.WHITE);
        g.setStroke(new BasicStroke(size / 16f));
        g.drawOval(x, y, w, h);
        g.drawLine(x + w / 2, y + h / 2, x + w, y + h);
        g.dispose();
        return img;
    }

    private static double[] centreOfMass(byte[] d, int side) {
        double m = 0, cx = 0, cy = 0;
        for (int i = 0; i < d.length; i++) {
            double v = d[i] & 0xFF;
            m += v;
            cx += v * (i % side);
            cy += v * (i / side);
        }
        return new double[]{cx / m, cy / m};
    }

    @Test
    void madeLikeMnistFitsTwentyPixelsCentredByMass() {
        byte[] d = DigitPicture.toDigit(scan(300, 20, 150, 100, 120, true), 28, "scan.png");
        int top = 28, bottom = -1, left = 28, right = -1;
        for (int i = 0; i < d.length; i++) {
            if ((d[i] & 0xFF) > 40) {
                top = Math.min(top, i / 28);
                bottom = Math.max(bottom, i / 28);
                left = Math.min(left, i % 28);
                right = Math.max(right, i % 28);
            }
        }
        assertTrue(bottom - top + 1 <= 21 && bottom - top + 1 >= 18, "height " + (bottom - top + 1));
        double[] com = centreOfMass(d, 28);
        assertEquals(13.5, com[0], 1.0);
        assertEquals(13.5, com[1], 1.0);
        assertEquals(0, d[0], "background is black");
    }

    @Test
    void sizeAndInversionDoNotMatter() {
        byte[] small = DigitPicture.toDigit(scan(60, 5, 10, 30, 40, false), 28, "a");
        byte[] large = DigitPicture.toDigit(scan(640, 53, 107, 320, 427, true), 28, "b");
        double diff = 0;
        for (int i = 0; i < small.length; i++) diff += Math.abs((small[i] & 0xFF) - (large[i] & 0xFF));
        assertTrue(diff / small.length < 25, "mean difference " + diff / small.length);
    }

    @Test
    void aBlankPictureIsNamed() {
        BufferedImage blank = new BufferedImage(50, 50, BufferedImage.TYPE_INT_RGB);
        DataException e = assertThrows(DataException.class, () -> DigitPicture.toDigit(blank, 28, "blank.png"));
        assertTrue(e.getMessage().contains("blank.png: no ink"), e.getMessage());
    }
}
