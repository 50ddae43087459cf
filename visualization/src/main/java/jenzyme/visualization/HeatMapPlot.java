package jenzyme.visualization;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleBinaryOperator;

/**
 * Display stage: a function of two variables as a colour image (viridis, optional log scale and contour lines) with
 * a colour bar, and optionally optimisation paths drawn over it — the classic Rosenbrock picture.
 *
 * <p>XChart's own HeatMapChart has categorical axes and cannot carry line series, so this figure composes: an XChart
 * XY chart with transparent backgrounds supplies axes, ticks, title, paths and legend; it is laid out once off
 * screen to learn where its plot area lands, the heat raster is drawn there first and the chart on top, and the colour
 * bar goes into a strip reserved on the right.
 */
public final class HeatMapPlot extends ChartFigure<HeatMapPlot> {

    /** An optimisation path, drawn as a line with a marker per iterate. */
    record Path(String name, double[] x, double[] y) {
    }

    static final int DEFAULT_GRID = 161;
    static final int DEFAULT_CONTOURS = 12;
    static final int MAX_GRID = 2000;
    private static final Color TRANSPARENT = new Color(0, 0, 0, 0);
    /**
     * Hues viridis does not use (it runs purple, blue, green, yellow), each visible on its darkest and brightest ends
     * and on the white legend: red, magenta, orange, cyan. White was the second colour once, and the second path
     * (L-BFGS in notebook 02) vanished from the legend.
     */
    static final Color[] PATH_COLOURS = {
            new Color(0xff2a2a), new Color(0xff33cc), new Color(0xff8c00), new Color(0x00d8ff)};

    private final DoubleBinaryOperator f;
    private final String valueName;
    private final double xmin, xmax, ymin, ymax;
    private final int nx, ny;
    private final boolean logColor;
    private final int contours;
    private final List<Path> paths;

    HeatMapPlot(FigureStyle style, DoubleBinaryOperator f, String valueName, double xmin, double xmax, double ymin,
                double ymax, int nx, int ny, boolean logColor, int contours, List<Path> paths) {
        super(style);
        this.f = Sampling.requireNonNull(f, "function");
        this.valueName = Sampling.requireNonNull(valueName, "value name");
        Sampling.requireRange("x", xmin, xmax);
        Sampling.requireRange("y", ymin, ymax);
        if (nx < 2 || ny < 2 || nx > MAX_GRID || ny > MAX_GRID) {
            throw new IllegalArgumentException("grid: expected 2.." + MAX_GRID + " samples per axis, got " + nx + "x" + ny);
        }
        if (contours < 0 || contours > 100) {
            throw new IllegalArgumentException("contours: expected 0 (none) to 100 levels, got " + contours);
        }
        this.xmin = xmin;
        this.xmax = xmax;
        this.ymin = ymin;
        this.ymax = ymax;
        this.nx = nx;
        this.ny = ny;
        this.logColor = logColor;
        this.contours = contours;
        this.paths = List.copyOf(paths);
    }

    /** Number of function evaluations per axis (default 161 × 161); pixels in between are interpolated. */
    public HeatMapPlot grid(int samplesX, int samplesY) {
        return new HeatMapPlot(style, f, valueName, xmin, xmax, ymin, ymax, samplesX, samplesY, logColor, contours, paths);
    }

    /** Logarithmic colour scale, for functions spanning decades such as Rosenbrock's (see {@link ColorScale}). */
    public HeatMapPlot logColor(boolean enabled) {
        return new HeatMapPlot(style, f, valueName, xmin, xmax, ymin, ymax, nx, ny, enabled, contours, paths);
    }

    /** Number of contour levels, equally spaced on the colour scale (default 12; 0 for none). */
    public HeatMapPlot contours(int levels) {
        return new HeatMapPlot(style, f, valueName, xmin, xmax, ymin, ymax, nx, ny, logColor, levels, paths);
    }

    /** The colour bar's label (default "f(x, y)"). */
    public HeatMapPlot valueName(String name) {
        return new HeatMapPlot(style, f, name, xmin, xmax, ymin, ymax, nx, ny, logColor, contours, paths);
    }

    /** Overlays a path through the points (x[i], y[i]), e.g. an optimiser's iterates. */
    public HeatMapPlot path(String name, double[] x, double[] y) {
        Sampling.requireSeriesName(name);
        Sampling.requireNonNull(x, "x values of path '" + name + "'");
        Sampling.requireNonNull(y, "y values of path '" + name + "'");
        if (x.length != y.length || x.length == 0) {
            throw new IllegalArgumentException("path '" + name + "': expected x and y of the same non-zero length, got "
                    + x.length + " and " + y.length);
        }
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                throw new IllegalArgumentException("path '" + name + "': point " + i + " must be finite, got ("
                        + x[i] + ", " + y[i] + ")");
            }
        }
        for (Path p : paths) {
            if (p.name().equals(name)) {
                throw new IllegalArgumentException("path '" + name + "' is already in this plot: names must be distinct");
            }
        }
        List<Path> more = new ArrayList<>(paths);
        more.add(new Path(name, x.clone(), y.clone()));
        return new HeatMapPlot(style, f, valueName, xmin, xmax, ymin, ymax, nx, ny, logColor, contours, more);
    }

    /** Overlays a path through iterates given as {x, y} pairs, in order. */
    public HeatMapPlot path(String name, List<double[]> points) {
        Sampling.requireNonNull(points, "points of path '" + name + "'");
        double[] x = new double[points.size()], y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            double[] p = points.get(i);
            if (p == null || p.length != 2) {
                throw new IllegalArgumentException("path '" + name + "': expected point " + i + " as {x, y}, got "
                        + (p == null ? "null" : p.length + " coordinates"));
            }
            x[i] = p[0];
            y[i] = p[1];
        }
        return path(name, x, y);
    }

    @Override
    HeatMapPlot withStyle(FigureStyle newStyle) {
        return new HeatMapPlot(newStyle, f, valueName, xmin, xmax, ymin, ymax, nx, ny, logColor, contours, paths);
    }

    @Override
    public void paint(Graphics2D g) {
        double[][] values = HeatRaster.sample(f, Sampling.grid(xmin, xmax, nx), Sampling.grid(ymin, ymax, ny), valueName);
        ColorScale scale = ColorScale.fit(values, logColor);
        Layout layout = layout(scale);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width(), height());
        Rectangle area = layout.plotArea();
        g.drawImage(HeatRaster.image(values, scale, area.width, area.height, contours), area.x, area.y, null);
        layout.chart().paint(g, layout.chartWidth(), height());
        ColorBar.paint(g, scale, valueName, layout.chartWidth(), area.y, area.height);
    }

    /** The chart, the width it may use, and where its data rectangle lands in figure pixels. */
    record Layout(XYChart chart, int chartWidth, Rectangle plotArea) {
    }

    /**
     * Lays the chart out by painting it once off screen: XChart computes its plot bounds (which depend on tick label
     * widths and the title) only while painting.
     */
    Layout layout(ColorScale scale) {
        BufferedImage scratch = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = scratch.createGraphics();
        try {
            int chartWidth = width() - ColorBar.stripWidth(g, scale);
            if (chartWidth < 100) {
                throw new IllegalArgumentException("heat map: figure width " + width()
                        + " leaves no room for the plot beside the colour bar; use a larger .size(...)");
            }
            XYChart chart = chart(chartWidth);
            chart.paint(g, chartWidth, height());
            int left = (int) Math.round(chart.getScreenXFromChart(xmin));
            int right = (int) Math.round(chart.getScreenXFromChart(xmax));
            int top = (int) Math.round(chart.getScreenYFromChart(ymax));
            int bottom = (int) Math.round(chart.getScreenYFromChart(ymin));
            if (right - left < 2 || bottom - top < 2) {
                throw new IllegalArgumentException("heat map: figure size " + width() + "x" + height()
                        + " leaves no room for the plot area; use a larger .size(...)");
            }
            return new Layout(chart, chartWidth, new Rectangle(left, top, right - left, bottom - top));
        } finally {
            g.dispose();
        }
    }

    private XYChart chart(int chartWidth) {
        XYChart chart = ChartStyle.newChart(style.withSize(chartWidth, height()));
        XYStyler s = chart.getStyler();
        s.setChartBackgroundColor(TRANSPARENT);
        s.setPlotBackgroundColor(TRANSPARENT);
        s.setPlotGridLinesVisible(false);
        s.setPlotContentSize(1.0);
        s.setXAxisMin(xmin);
        s.setXAxisMax(xmax);
        s.setYAxisMin(ymin);
        s.setYAxisMax(ymax);
        s.setLegendVisible(!paths.isEmpty());
        // XChart draws nothing without a series: an invisible one spanning the bounds anchors the axes.
        XYSeries bounds = chart.addSeries(" bounds", new double[] {xmin, xmax}, new double[] {ymin, ymax});
        bounds.setLineStyle(new BasicStroke(0f));
        bounds.setLineColor(TRANSPARENT);
        bounds.setMarker(SeriesMarkers.NONE);
        bounds.setShowInLegend(false);
        ChartStyle.roundTicks(chart, xmin, xmax, ymin, ymax);
        for (int i = 0; i < paths.size(); i++) {
            Path p = paths.get(i);
            XYSeries series = chart.addSeries(p.name(), p.x(), p.y());
            Color colour = PATH_COLOURS[i % PATH_COLOURS.length];
            series.setLineColor(colour);
            series.setLineStyle(ChartStyle.SOLID);
            series.setMarkerColor(colour);
            series.setMarker(SeriesMarkers.CIRCLE);
        }
        s.setMarkerSize(5);
        // The whole plot area is data (the heat map): the legend goes below it, one row.
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        return chart;
    }

    /** Where the data rectangle lands for the current options (evaluates the function, as rendering does). */
    Rectangle plotArea() {
        double[][] values = HeatRaster.sample(f, Sampling.grid(xmin, xmax, nx), Sampling.grid(ymin, ymax, ny), valueName);
        return layout(ColorScale.fit(values, logColor)).plotArea();
    }

    @Override
    public String description() {
        String overlay = paths.isEmpty() ? "" : ", " + paths.size() + " path(s): "
                + String.join(", ", paths.stream().map(Path::name).toList());
        return "HeatMapPlot " + titleAndSize() + ": " + valueName + " on [" + xmin + ", " + xmax + "] x [" + ymin + ", "
                + ymax + "], " + nx + "x" + ny + " samples" + (logColor ? ", log colour scale" : "") + overlay;
    }
}
