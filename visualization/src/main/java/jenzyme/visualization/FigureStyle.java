package jenzyme.visualization;

import java.util.Objects;

/**
 * Display stage: what every chart has in common — titles, axis labels, pixel size and whether an SVG is rendered
 * beside the PNG. Immutable; the chart builders copy it on every change.
 */
record FigureStyle(String title, String xLabel, String yLabel, int width, int height, boolean svg) {

    static final int DEFAULT_WIDTH = 640;
    static final int DEFAULT_HEIGHT = 420;

    FigureStyle {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(xLabel, "xLabel");
        Objects.requireNonNull(yLabel, "yLabel");
        FigureRenderer.checkSize(width, height);
    }

    static FigureStyle of(String title, String xLabel, String yLabel) {
        return new FigureStyle(title, xLabel, yLabel, DEFAULT_WIDTH, DEFAULT_HEIGHT, false);
    }

    FigureStyle withTitle(String newTitle) {
        return new FigureStyle(newTitle, xLabel, yLabel, width, height, svg);
    }

    FigureStyle withXLabel(String newXLabel) {
        return new FigureStyle(title, newXLabel, yLabel, width, height, svg);
    }

    FigureStyle withYLabel(String newYLabel) {
        return new FigureStyle(title, xLabel, newYLabel, width, height, svg);
    }

    FigureStyle withSize(int newWidth, int newHeight) {
        return new FigureStyle(title, xLabel, yLabel, newWidth, newHeight, svg);
    }

    FigureStyle withSvg(boolean newSvg) {
        return new FigureStyle(title, xLabel, yLabel, width, height, newSvg);
    }
}
