package jenzyme.magics;

import jenzyme.visualization.MimeRenderable;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;

/**
 * The one renderer registration for JEnzyme's rich values: everything that is a {@link MimeRenderable} (figures,
 * gradient-check results) shows as the MIME bundle it builds itself, whether it is a cell's value, a magic's
 * result or passed to {@code display(...)}.
 */
public final class DisplayRegistration {

    private DisplayRegistration() {}

    public static void registerAll(Renderer renderer) {
        renderer.createRegistration(MimeRenderable.class)
                .supporting("image/png", "image/svg+xml", "text/html", "text/plain")
                .register((value, context) -> copy(value, context.getOutputContainer()));
    }

    private static void copy(MimeRenderable value, DisplayData output) {
        value.mimeBundle().forEach(output::putData);
        value.mimeMetadata().forEach(output::putMetaData);
    }
}
