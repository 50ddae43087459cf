package jenzyme.visualization;

import java.util.EnumSet;
import java.util.Set;

/**
 * Display stage: the fluent options every chart shares. Charts are immutable: each option returns a new chart, so a
 * figure value kept in a notebook variable never changes behind the user's back, and the last expression of a cell
 * is displayed as it reads.
 *
 * @param <B> the concrete chart type, so that shared options keep the chart's own options available
 */
public abstract sealed class ChartFigure<B extends ChartFigure<B>> implements Figure
        permits FunctionPlot, LinePlot, HeatMapPlot {

    final FigureStyle style;

    ChartFigure(FigureStyle style) {
        this.style = style;
    }

    abstract B withStyle(FigureStyle newStyle);

    public B title(String title) {
        return withStyle(style.withTitle(title));
    }

    public B xLabel(String label) {
        return withStyle(style.withXLabel(label));
    }

    public B yLabel(String label) {
        return withStyle(style.withYLabel(label));
    }

    /** Pixel size of the rendered images (default 640 × 420). */
    public B size(int width, int height) {
        return withStyle(style.withSize(width, height));
    }

    /**
     * Also render {@code image/svg+xml}. Off by default: XChart draws text as glyph outlines, so a line chart's SVG
     * is ~200 KB against ~40 KB of PNG, and every front end shows the PNG.
     */
    public B svg(boolean enabled) {
        return withStyle(style.withSvg(enabled));
    }

    @Override
    public int width() {
        return style.width();
    }

    @Override
    public int height() {
        return style.height();
    }

    @Override
    public Set<ImageFormat> formats() {
        return style.svg() ? EnumSet.of(ImageFormat.PNG, ImageFormat.SVG) : EnumSet.of(ImageFormat.PNG);
    }

    @Override
    public String toString() {
        return description();
    }

    /** "'title' (640x420)" for descriptions; the title alone may be empty. */
    String titleAndSize() {
        String title = style.title().isBlank() ? "" : "'" + style.title() + "' ";
        return title + "(" + width() + "x" + height() + ")";
    }
}
