package jenzyme.visualization;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FigureRendererTest {

    @Test
    void svgIsRenderedOnRequestAndParsesAsSvgOfTheFigureSize() throws Exception {
        List<Figure> figures = List.of(
                Plots.function(Math::sin, Math::cos, 0, 6).svg(true),
                Plots.heatMap((x, y) -> x * y, -1, 1, -1, 1).path("p", new double[] {0, 0.5}, new double[] {0, 0.5}).svg(true),
                Plots.convergence("loss", new double[] {1, 0.1, 0.01}).svg(true));
        for (Figure figure : figures) {
            Map<String, Object> bundle = figure.mimeBundle();
            assertEquals(List.of("image/svg+xml", "image/png", "text/plain"), List.copyOf(bundle.keySet()));
            Document svg = parse((String) bundle.get("image/svg+xml"));
            assertEquals("svg", svg.getDocumentElement().getTagName());
            assertEquals("0 0 640 420", svg.getDocumentElement().getAttribute("viewBox"));
            assertTrue(svg.getElementsByTagName("path").getLength() > 0, "vector paths present");
            RenderedImages.decodeAndCheck(figure);
        }
    }

    @Test
    void withoutSvgOnlyPngAndTextAreProduced() {
        MimeBundle bundle = Plots.function(Math::sin, 0, 1).render();
        assertTrue(bundle.svg().isEmpty());
        assertFalse(bundle.asMap().containsKey("image/svg+xml"));
        assertThrows(IllegalStateException.class, () -> bundle.saveSvg(Path.of("unused.svg")));
    }

    @Test
    void savedPngIsTheBundlesPng() throws Exception {
        MimeBundle bundle = Plots.function(Math::sin, 0, 1).render();
        Path file = Files.createTempFile("jenzyme-figure", ".png");
        try {
            bundle.savePng(file);
            assertArrayEquals(bundle.png(), Files.readAllBytes(file));
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aFigureThatPaintsOutOfBoundsSizesIsRejected() {
        Figure huge = new Figure() {
            public int width() { return 10_000; }
            public int height() { return 10; }
            public void paint(java.awt.Graphics2D g) { }
            public String description() { return "huge"; }
            public java.util.Set<ImageFormat> formats() { return java.util.Set.of(ImageFormat.PNG); }
        };
        assertEquals("figure size: expected width and height in 1..8192 pixels, got 10000x10",
                assertThrows(IllegalArgumentException.class, huge::render).getMessage());
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        // The SVG declares the W3C DTD; parsing must not try to download it.
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }
}
