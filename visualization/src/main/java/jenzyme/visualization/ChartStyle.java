package jenzyme.visualization;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.List;
import java.util.Optional;

/**
 * Display stage: the house look of every JEnzyme chart, kept in one place so that all figures in a notebook match:
 * white background, light grid, a colour-blind-friendly categorical palette, one font family (the JVM's logical
 * SansSerif, DejaVu Sans on our Linux images), the legend where it hides no data, log scales labelled 10ᵏ.
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

    /**
     * A log scale drawn linear in log10 of the values, labelled 10ᵏ ({@link PowerLabels}): XChart's own log axis mixes
     * {@code 0.001} with {@code 1E-4} over dense minor ticks, and its label formatter hook would put ticks back on a
     * linear scale. Values ≤ 0 become NaN (gaps).
     */
    static double[] exponents(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] > 0 && Double.isFinite(values[i]) ? Math.log10(values[i]) : Double.NaN;
        }
        return out;
    }

    /**
     * Labels a power axis spanning {@code decades}. Over two or more, ticks are spaced at least a decade apart (a
     * tick spacing hint larger than a decade's height) so that every label is a whole 10ᵏ; a blank label for
     * half decades is no way out, XChart then drops every tick as "not unique".
     */
    static void powerAxisY(XYChart chart, double decades) {
        chart.setCustomYAxisTickLabelsFormatter(PowerLabels::power);
        if (decades >= 2) {
            XYStyler styler = chart.getStyler();
            int decadeHeight = (int) Math.ceil(chart.getHeight() * styler.getPlotContentSize() / decades);
            styler.setYAxisTickMarkSpacingHint(Math.max(styler.getYAxisTickMarkSpacingHint(), decadeHeight + 1));
        }
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
    static void roundTicks(XYChart chart, double xlo, double xhi, double ylo, double yhi) {
        double x = xlo + (xhi - xlo) / Math.PI;
        double y = ylo + (yhi - ylo) / Math.PI;
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
     * Puts the legend where it hides no data: the inside corner that no curve passes through (segments are followed
     * between samples, the box is sized from the series names), top right first, where readers look; when every
     * corner has data, below the plot (beside it when the names are too long for one row). Coordinates are the
     * drawn ones (log10 values on a power axis); NaN marks gaps.
     */
    static void placeLegend(XYChart chart, List<double[]> xs, List<double[]> ys, List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        XYStyler styler = chart.getStyler();
        int longest = names.stream().mapToInt(String::length).max().orElse(0);
        // Measured on DejaVu Sans 12 px: ~7 px a character, 45 px of line sample and padding; 18 px a row.
        double boxWidth = (7.0 * longest + 45) / (chart.getWidth() * 0.85);
        double boxHeight = (18.0 * names.size() + 10) / (chart.getHeight() * 0.75);
        Optional<LegendPosition> corner = emptyCorner(xs, ys, Math.min(boxWidth + 0.04, 1), Math.min(boxHeight + 0.05, 1));
        if (corner.isPresent()) {
            styler.setLegendPosition(corner.get());
            return;
        }
        int rowWidth = names.stream().mapToInt(n -> 7 * n.length() + 45).sum();
        styler.setLegendPosition(rowWidth < chart.getWidth() * 0.9 ? LegendPosition.OutsideS : LegendPosition.OutsideE);
        styler.setLegendLayout(rowWidth < chart.getWidth() * 0.9 ? Styler.LegendLayout.Horizontal
                : Styler.LegendLayout.Vertical);
    }

    /** The first inside corner (NE, NW, SE, SW) whose box of the given size (fractions of the plot) holds no data. */
    static Optional<LegendPosition> emptyCorner(List<double[]> xs, List<double[]> ys, double width, double height) {
        double xlo = Double.POSITIVE_INFINITY, xhi = Double.NEGATIVE_INFINITY;
        double ylo = Double.POSITIVE_INFINITY, yhi = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < xs.size(); s++) {
            for (int i = 0; i < xs.get(s).length; i++) {
                if (Double.isFinite(ys.get(s)[i])) {
                    xlo = Math.min(xlo, xs.get(s)[i]);
                    xhi = Math.max(xhi, xs.get(s)[i]);
                    ylo = Math.min(ylo, ys.get(s)[i]);
                    yhi = Math.max(yhi, ys.get(s)[i]);
                }
            }
        }
        LegendPosition[] corners = {LegendPosition.InsideNE, LegendPosition.InsideNW, LegendPosition.InsideSE,
                LegendPosition.InsideSW};
        boolean[] taken = new boolean[corners.length];
        for (int s = 0; s < xs.size(); s++) {
            double[] x = xs.get(s), y = ys.get(s);
            for (int i = 0; i < x.length; i++) {
                // The sample and 8 points on the segment to the next one: a line crossing a corner counts.
                int steps = i + 1 < x.length && Double.isFinite(y[i + 1]) ? 8 : 1;
                for (int k = 0; k < steps && Double.isFinite(y[i]); k++) {
                    double t = k / 8.0;
                    double px = steps == 1 ? x[i] : x[i] + t * (x[i + 1] - x[i]);
                    double py = steps == 1 ? y[i] : y[i] + t * (y[i + 1] - y[i]);
                    double u = xhi > xlo ? (px - xlo) / (xhi - xlo) : 0.5;
                    double v = yhi > ylo ? (py - ylo) / (yhi - ylo) : 0.5;
                    boolean right = u > 1 - width, left = u < width, top = v > 1 - height, bottom = v < height;
                    taken[0] |= top && right;
                    taken[1] |= top && left;
                    taken[2] |= bottom && right;
                    taken[3] |= bottom && left;
                }
            }
        }
        for (int c = 0; c < corners.length; c++) {
            if (!taken[c]) {
                return Optional.of(corners[c]);
            }
        }
        return Optional.empty();
    }
}
