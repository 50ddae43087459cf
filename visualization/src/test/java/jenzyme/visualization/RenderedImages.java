package jenzyme.visualization;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test helper: decodes a figure's bundle the way a notebook front end would, and checks it shows something. */
final class RenderedImages {

    private RenderedImages() {
    }

    /** The PNG from the bundle's base64 payload, checked to decode at the figure's size and not be blank. */
    static BufferedImage decodeAndCheck(Figure figure) {
        String base64 = (String) figure.mimeBundle().get("image/png");
        assertNotNull(base64, "bundle has image/png");
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertNotNull(image, "PNG decodes");
        assertEquals(figure.width(), image.getWidth(), "width");
        assertEquals(figure.height(), image.getHeight(), "height");
        double variance = luminanceVariance(image);
        assertTrue(variance > 100, "image is not blank: luminance variance " + variance);
        return image;
    }

    static double luminance(int rgb) {
        return 0.2126 * (rgb >> 16 & 0xff) + 0.7152 * (rgb >> 8 & 0xff) + 0.0722 * (rgb & 0xff);
    }

    static double luminanceVariance(BufferedImage image) {
        double sum = 0, sumSq = 0;
        int n = image.getWidth() * image.getHeight();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                double l = luminance(image.getRGB(x, y));
                sum += l;
                sumSq += l * l;
            }
        }
        double mean = sum / n;
        return sumSq / n - mean * mean;
    }

    /** Number of pixels whose colour is within {@code tolerance} (per channel) of {@code rgb}. */
    static int countColour(BufferedImage image, int rgb, int tolerance) {
        return countColour(image, rgb, tolerance, 0, image.getHeight());
    }

    /** {@link #countColour(BufferedImage, int, int)} over the rows {@code fromRow} (inclusive) to {@code toRow}. */
    static int countColour(BufferedImage image, int rgb, int tolerance, int fromRow, int toRow) {
        int count = 0;
        for (int y = Math.max(0, fromRow); y < Math.min(image.getHeight(), toRow); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                if (Math.abs((p >> 16 & 0xff) - (rgb >> 16 & 0xff)) <= tolerance
                        && Math.abs((p >> 8 & 0xff) - (rgb >> 8 & 0xff)) <= tolerance
                        && Math.abs((p & 0xff) - (rgb & 0xff)) <= tolerance) {
                    count++;
                }
            }
        }
        return count;
    }
}
