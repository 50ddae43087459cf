package jenzyme.kernel;

import jenzyme.kernel.exec.SnippetValue;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;

import java.util.List;

/**
 * Turns values into MIME bundles with jjava's {@link Renderer} (images → image/png, and whatever other modules
 * register). Plain values keep JShell's text ({@code "abc"} quoted, arrays spelled out) rather than toString().
 */
final class Displays {

    private static final List<MIMEType> RICH_TYPES = List.of(MIMEType.IMAGE_PNG, MIMEType.IMAGE_JPEG, MIMEType.IMAGE_GIF,
            MIMEType.IMAGE_SVG, MIMEType.TEXT_HTML, MIMEType.TEXT_MARKDOWN, MIMEType.TEXT_LATEX,
            MIMEType.APPLICATION_JSON, MIMEType.APPLICATION_JAVASCRIPT);

    private final Renderer renderer;

    Displays(Renderer renderer) {
        this.renderer = renderer;
    }

    /** The execute_result of an expression cell. */
    DisplayData ofValue(SnippetValue value) {
        if (value.value() != null) {
            DisplayData rendered = of(value.value());
            if (RICH_TYPES.stream().anyMatch(rendered::hasDataForType)) {
                return rendered;
            }
        }
        return new DisplayData(value.text());
    }

    /** What {@code display(x)} shows; a ready bundle passes through unchanged. */
    DisplayData of(Object value) {
        if (value instanceof DisplayData bundle) {
            return bundle;
        }
        return value == null ? new DisplayData("null") : renderer.render(value);
    }
}
