package jenzyme.visualization;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.List;

/**
 * Display stage: the house look of every JEnzyme chart, kept in one place so that all figures in a notebook match:
 * white background, light grid, a colour-blind-friendly categorical palette, one font family (the JVM's logical
 * SansSerif, DejaVu Sans on our Linux images), the legend in the emptiest corner.
 */
final class ChartStyle {

    /** Categorical palette (the widely used "tab10" hues): distinguishable and reasonably colour-blind safe. */
    private static final Color[] PALETTE = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    static final Color TEXT = new Color(0x222222);
    static final Color FRAME = new Color(0x888888);
    static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
    static final Font AXIS_TITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Font LEGEND_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    static final BasicStroke SOLID = new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    static final BasicStroke NO_LINE = SeriesLines.NONE;

    private ChartStyle() {
    }

    static XYChart newChart(FigureStyle style) {
        XYChart chart = new XYChart(style.width(), style.height());
        chart.setTitle(style.title());
        chart.setXAxisTitle(style.xLabel());
        chart.setYAxisTitle(style.yLabel());
        XYStyler s = chart.getStyler();
        s.setAntiAlias(true);
        s.setChartBackgroundColor(Color.WHITE);
        s.setChartFontColor(TEXT);
        s.setChartPadding(12);
        s.setChartTitleVisible(!style.title().isBlank());
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(TITLE_FONT);
        s.setAxisTitleFont(AXIS_TITLE_FONT);
        s.setAxisTickLabelsFont(TICK_FONT);
        s.setAxisTickLabelsColor(TEXT);
        s.setAxisTickMarksColor(FRAME);
        s.setAxisTicksLineVisible(false);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setPlotBorderColor(FRAME);
        s.setPlotGridLinesVisible(true);
        s.setPlotGridLinesColor(new Color(0xe6e6e6));
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setPlotContentSize(0.94);
        s.setLegendFont(LEGEND_FONT);
        s.setLegendBackgroundColor(new Color(255, 255, 255, 225));
        s.setLegendBorderColor(new Color(0xcccccc));
        s.setLegendVisible(true);
        s.setSeriesColors(PALETTE);
        s.setMarkerSize(6);
        s.setToolTipsEnabled(false);
        return chart;
    }

    /** Style a series as the {@code index}-th curve of its chart. */
    static void curve(XYSeries series, int index, BasicStroke stroke, boolean markers) {
        Color colour = PALETTE[index % PALETTE.length];
        series.setLineColor(colour);
        series.setLineStyle(stroke);
        series.setMarkerColor(colour);
        series.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    /**
     * XChart 3.8.8 puts ticks only at data values when all x (or y) values are equally spaced: iterations 0..199
     * get ticks 0, 9, 18, ... and a heat map's two corner points get no inner ticks at all. An invisible extra point
     * off any such grid, inside the data's bounding box so that no range changes, makes it choose round numbers.
     */
    static void roundTicks(XYChart chart, double xlo, double xhi, double ylo, double yhi, boolean logY) {
        double x = xlo + (xhi - xlo) / Math.PI;
        double y = logY ? ylo * Math.pow(yhi / ylo, 1 / Math.PI) : ylo + (yhi - ylo) / Math.PI;
        XYSeries hidden = chart.addSeries(" round ticks", new double[] {x}, new double[] {y});
        hidden.setMarker(SeriesMarkers.NONE);
        hidden.setLineColor(new Color(0, 0, 0, 0));
        hidden.setShowInLegend(false);
    }

    /** {min, max} of the finite values (and, on a log axis, positive ones) of all arrays. */
    static double[] range(List<double[]> arrays, boolean positiveOnly) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] values : arrays) {
            for (double v : values) {
                if (Double.isFinite(v) && (!positiveOnly || v > 0)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        return new double[] {lo, hi};
    }

    /** A thin grey y = 0 reference line, added first so that it is drawn underneath the curves. */
    static void zeroLine(XYChart chart, double xmin, double xmax) {
        XYSeries zero = chart.addSeries(" y = 0", new double[] {xmin, xmax}, new double[] {0, 0});
        zero.setLineColor(new Color(0xaaaaaa));
        zero.setLineStyle(new BasicStroke(1f));
        zero.setMarker(SeriesMarkers.NONE);
        zero.setShowInLegend(false);
    }

    /**
     * The inside corner of the plot crossed by the fewest data points, so that the legend hides as little as
     * possible. Coordinates are normalised to the data's bounding box (log10 of y on a log axis); ties go to the
     * top-right corner, where readers look first.
     */
    static LegendPosition emptiestCorner(List<double[]> xs, List<double[]> ys, boolean logY) {
        double xlo = Double.POSITIVE_INFINITY, xhi = Double.NEGATIVE_INFINITY;
        double ylo = Double.POSITIVE_INFINITY, yhi = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < xs.size(); s++) {
            for (int i = 0; i < xs.get(s).length; i++) {
                double y = axisValue(ys.get(s)[i], logY);
                if (Double.isFinite(y)) {
                    xlo = Math.min(xlo, xs.get(s)[i]);
                    xhi = Math.max(xhi, xs.get(s)[i]);
                    ylo = Math.min(ylo, y);
                    yhi = Math.max(yhi, y);
                }
            }
        }
        return emptiestCorner(xs, ys, logY, xlo, xhi, ylo, yhi);
    }

    /** As above, with the plot's data bounds given (on a log axis, ylo and yhi are log10 values). */
    static LegendPosition emptiestCorner(List<double[]> xs, List<double[]> ys, boolean logY,
                                         double xlo, double xhi, double ylo, double yhi) {
        LegendPosition[] corners = {LegendPosition.InsideNE, LegendPosition.InsideNW, LegendPosition.InsideSE,
                LegendPosition.InsideSW};
        int[] counts = new int[corners.length];
        for (int s = 0; s < xs.size(); s++) {
            for (int i = 0; i < xs.get(s).length; i++) {
                double y = axisValue(ys.get(s)[i], logY);
                if (!Double.isFinite(y)) {
                    continue;
                }
                double u = xhi > xlo ? (xs.get(s)[i] - xlo) / (xhi - xlo) : 0.5;
                double v = yhi > ylo ? (y - ylo) / (yhi - ylo) : 0.5;
                // The legend box covers roughly the outer 40% x 35% of the plot in its corner.
                boolean right = u > 0.6, left = u < 0.4, top = v > 0.65, bottom = v < 0.35;
                if (top && right) counts[0]++;
                if (top && left) counts[1]++;
                if (bottom && right) counts[2]++;
                if (bottom && left) counts[3]++;
            }
        }
        int best = 0;
        for (int c = 1; c < corners.length; c++) {
            if (counts[c] < counts[best]) {
                best = c;
            }
        }
        return corners[best];
    }

    private static double axisValue(double y, boolean logY) {
        return logY ? (y > 0 ? Math.log10(y) : Double.NaN) : y;
    }
}
