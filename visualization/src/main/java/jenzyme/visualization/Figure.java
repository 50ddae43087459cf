package jenzyme.visualization;

import java.awt.Graphics2D;
import java.util.Map;
import java.util.Set;

/**
 * Display stage: something drawable at a fixed pixel size. Figures are immutable descriptions; drawing (and
 * evaluating the plotted functions) happens when they are rendered, through {@link FigureRenderer}, the one place
 * that turns figures into PNG/SVG bundles.
 */
public interface Figure extends MimeRenderable {

    int width();

    int height();

    /** Draws the whole figure into {@code g}: origin at the figure's top-left corner, {@link #width()} × {@link #height()}. */
    void paint(Graphics2D g);

    /** One line naming what is shown, used as the {@code text/plain} representation. */
    String description();

    /** The encodings that go into the MIME bundle; PNG is always among them. */
    Set<ImageFormat> formats();

    default MimeBundle render() {
        return FigureRenderer.render(this);
    }

    @Override
    default Map<String, Object> mimeBundle() {
        return render().asMap();
    }

    @Override
    default Map<String, Object> mimeMetadata() {
        return FigureRenderer.metadata(this);
    }
}
