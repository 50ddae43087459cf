package jenzyme.visualization;

import de.erichseifert.vectorgraphics2d.Processors;
import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.util.PageSize;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Display stage: the one place that turns a {@link Figure} into images — PNG through a headless
 * {@link BufferedImage}, SVG through VectorGraphics2D (the library XChart itself uses for vector export). Its
 * neighbours are the figures (which only know how to paint onto a {@link Graphics2D}) and the kernel (which reads
 * the resulting {@link MimeBundle}).
 */
public final class FigureRenderer {

    /** Larger figures are almost certainly a unit mistake (e.g. passing samples for pixels) and would exhaust the heap. */
    static final int MAX_SIDE = 8192;

    private FigureRenderer() {
    }

    public static MimeBundle render(Figure figure) {
        checkSize(figure.width(), figure.height());
        byte[] png = png(image(figure));
        String svg = figure.formats().contains(ImageFormat.SVG) ? svg(figure) : null;
        return new MimeBundle(figure.description(), figure.width(), figure.height(), png, svg);
    }

    /** The figure drawn onto an opaque RGB image of its size. */
    public static BufferedImage image(Figure figure) {
        checkSize(figure.width(), figure.height());
        BufferedImage image = new BufferedImage(figure.width(), figure.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, figure.width(), figure.height());
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            figure.paint(g);
        } finally {
            g.dispose();
        }
        return image;
    }

    static Map<String, Object> metadata(Figure figure) {
        return sizeMetadata(figure.width(), figure.height());
    }

    static Map<String, Object> sizeMetadata(int width, int height) {
        return Map.of(ImageFormat.PNG.mimeType(), Map.of("width", width, "height", height));
    }

    private static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer available in this JVM (javax.imageio)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding failed", e);
        }
        return out.toByteArray();
    }

    private static String svg(Figure figure) {
        VectorGraphics2D g = new VectorGraphics2D();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, figure.width(), figure.height());
        figure.paint(g);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Processors.get("svg")
                    .getDocument(g.getCommands(), new PageSize(0, 0, figure.width(), figure.height()))
                    .writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException("SVG encoding failed", e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static void checkSize(int width, int height) {
        if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
            throw new IllegalArgumentException("figure size: expected width and height in 1.." + MAX_SIDE
                    + " pixels, got " + width + "x" + height);
        }
    }
}
