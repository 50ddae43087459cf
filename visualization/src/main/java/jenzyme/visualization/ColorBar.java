package jenzyme.visualization;

import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.geom.AffineTransform;

/**
 * Display stage: the vertical colour scale beside a heat map — the viridis strip, tick labels on its right and the
 * value's name rotated along the right edge, as in matplotlib. XChart has no colour bar for XY charts, so
 * {@link HeatMapPlot} reserves a strip for it.
 */
final class ColorBar {

    static final int BAR_WIDTH = 16;
    private static final int GAP = 10;
    private static final int TICK = 4;
    private static final int LABEL_PAD = 3;
    private static final int TITLE_PAD = 8;

    private ColorBar() {
    }

    /** Width of the strip needed right of the plot for this scale's labels and the title. */
    static int stripWidth(Graphics2D g, ColorScale scale) {
        FontMetrics tickMetrics = g.getFontMetrics(ChartStyle.TICK_FONT);
        int widest = 0;
        for (ColorScale.Tick tick : scale.ticks()) {
            widest = Math.max(widest, tickMetrics.stringWidth(tick.label()));
        }
        return GAP + BAR_WIDTH + TICK + LABEL_PAD + widest + TITLE_PAD
                + g.getFontMetrics(ChartStyle.AXIS_TITLE_FONT).getHeight() + GAP;
    }

    /** Paints the bar with its top-left corner at (x, top) and the given height. */
    static void paint(Graphics2D g, ColorScale scale, String title, int x, int top, int height) {
        int barX = x + GAP;
        for (int row = 0; row < height; row++) {
            g.setColor(Viridis.color(1 - (row + 0.5) / height));
            g.fillRect(barX, top + row, BAR_WIDTH, 1);
        }
        g.setColor(ChartStyle.FRAME);
        g.drawRect(barX, top, BAR_WIDTH, height);

        g.setFont(ChartStyle.TICK_FONT);
        FontMetrics metrics = g.getFontMetrics();
        int widest = 0;
        for (ColorScale.Tick tick : scale.ticks()) {
            int y = top + (int) Math.round((1 - tick.position()) * height);
            g.setColor(ChartStyle.FRAME);
            g.drawLine(barX + BAR_WIDTH, y, barX + BAR_WIDTH + TICK, y);
            g.setColor(ChartStyle.TEXT);
            g.drawString(tick.label(), barX + BAR_WIDTH + TICK + LABEL_PAD, y + metrics.getAscent() / 2 - 1);
            widest = Math.max(widest, metrics.stringWidth(tick.label()));
        }

        g.setFont(ChartStyle.AXIS_TITLE_FONT);
        FontMetrics titleMetrics = g.getFontMetrics();
        int titleX = barX + BAR_WIDTH + TICK + LABEL_PAD + widest + TITLE_PAD + titleMetrics.getAscent();
        // Rotated a quarter turn anticlockwise, reading bottom to top, glyph tops towards the bar.
        int titleY = top + height / 2 + titleMetrics.stringWidth(title) / 2;
        AffineTransform saved = g.getTransform();
        g.translate(titleX, titleY);
        g.rotate(-Math.PI / 2);
        g.setColor(ChartStyle.TEXT);
        g.drawString(title, 0, 0);
        g.setTransform(saved);
    }
}
