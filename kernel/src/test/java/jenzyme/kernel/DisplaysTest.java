package jenzyme.kernel;

import jenzyme.kernel.api.Notebook;
import jenzyme.kernel.exec.SnippetValue;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.common.Image;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

class DisplaysTest {

    private final Displays displays = new Displays(imageRenderer());

    private static Renderer imageRenderer() {
        Renderer renderer = new Renderer();
        Image.registerAll(renderer);
        return renderer;
    }

    @Test
    void imagesBecomePngsOfTheSameSizeAndPixels() throws Exception {
        BufferedImage image = new BufferedImage(5, 4, BufferedImage.TYPE_INT_RGB);
        image.setRGB(2, 3, 0x12ab34);
        DisplayData bundle = displays.ofValue(new SnippetValue(image, "BufferedImage@1"));
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(
                Base64.getDecoder().decode((String) bundle.getData(MIMEType.IMAGE_PNG))));
        assertEquals(5, decoded.getWidth());
        assertEquals(4, decoded.getHeight());
        assertEquals(0x12ab34, decoded.getRGB(2, 3) & 0xffffff);
    }

    @Test
    void plainValuesKeepJShellsText() {
        DisplayData bundle = displays.ofValue(new SnippetValue("abc", "\"abc\""));
        assertEquals("\"abc\"", bundle.getData(MIMEType.TEXT_PLAIN));
        assertFalse(bundle.hasDataForType(MIMEType.TEXT_HTML));
        assertEquals("null", displays.ofValue(new SnippetValue(null, "null")).getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void readyBundlesPassThrough() {
        DisplayData html = Notebook.html("<i>x</i>");
        assertSame(html, displays.of(html));
        assertSame(html, displays.ofValue(new SnippetValue(html, "DisplayData@1")));
        assertEquals("<i>x</i>", html.getData(MIMEType.TEXT_HTML));
        assertEquals("# T", Notebook.markdown("# T").getData(MIMEType.TEXT_MARKDOWN));
    }
}
