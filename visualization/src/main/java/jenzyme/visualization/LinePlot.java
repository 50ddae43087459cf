package jenzyme.visualization;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

import java.awt.Graphics2D;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Display stage: several named data series on one set of axes — ODE trajectories against time, observations
 * ({@link #scatter}) beside a fitted model
 * ({@link Plots#trajectories}) or optimisation histories against the iteration ({@link Plots#convergence}, log-scale
 * y). Non-finite values, and values ≤ 0 on a log axis, are left out of the curve (drawn as gaps).
 */
public final class LinePlot extends ChartFigure<LinePlot> {

    /** One curve, or a set of unconnected points (measurements); arrays are private copies. */
    record Series(String name, double[] x, double[] y, boolean pointsOnly) {
    }

    /** Longer curves stay lines even when they overlap: a marker per point would be a solid band. */
    private static final int MAX_MARKERS = 300;

    private final List<Series> series;
    private final boolean logY;
    private final boolean markers;

    LinePlot(FigureStyle style, List<Series> series, boolean logY, boolean markers) {
        super(style);
        this.series = List.copyOf(series);
        this.logY = logY;
        this.markers = markers;
        if (logY) {
            for (Series s : this.series) {
                if (positiveCount(s.y()) == 0) {
                    throw new IllegalArgumentException("series '" + s.name()
                            + "': a log-scale y axis needs values > 0, got none; use .logY(false)");
                }
            }
        }
    }

    /** Adds a curve through the points (x[i], y[i]). */
    public LinePlot series(String name, double[] x, double[] y) {
        return add(name, x, y, false);
    }

    /** Adds the points (x[i], y[i]) as unconnected markers — observations beside a fitted curve. */
    public LinePlot scatter(String name, double[] x, double[] y) {
        return add(name, x, y, true);
    }

    private LinePlot add(String name, double[] x, double[] y, boolean pointsOnly) {
        Sampling.requireSeriesName(name);
        Sampling.requireNonNull(x, "x values of series '" + name + "'");
        Sampling.requireNonNull(y, "y values of series '" + name + "'");
        if (x.length != y.length || x.length == 0) {
            throw new IllegalArgumentException("series '" + name + "': expected x and y of the same non-zero length, got "
                    + x.length + " and " + y.length);
        }
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i])) {
                throw new IllegalArgumentException("series '" + name + "': x[" + i + "] must be finite, got " + x[i]);
            }
        }
        Set<String> names = new HashSet<>();
        series.forEach(s -> names.add(s.name()));
        if (!names.add(name)) {
            throw new IllegalArgumentException("series '" + name + "' is already in this plot: names must be distinct");
        }
        List<Series> more = new ArrayList<>(series);
        more.add(new Series(name, x.clone(), y.clone(), pointsOnly));
        return new LinePlot(style, more, logY, markers);
    }

    /** Adds a curve through (i, y[i]), i = 0, 1, ... — e.g. a loss per iteration. */
    public LinePlot series(String name, double[] y) {
        Sampling.requireNonNull(y, "y values of series '" + name + "'");
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        return series(name, x, y);
    }

    /** As {@link #series(String, double[])}, for values collected in a list. */
    public LinePlot series(String name, List<? extends Number> y) {
        Sampling.requireNonNull(y, "y values of series '" + name + "'");
        return series(name, y.stream().mapToDouble(v -> v == null ? Double.NaN : v.doubleValue()).toArray());
    }

    /** Logarithmic y axis (the default for convergence plots). */
    public LinePlot logY(boolean enabled) {
        return new LinePlot(style, series, enabled, markers);
    }

    /** Draw a marker at every data point (useful for short histories). */
    public LinePlot markers(boolean enabled) {
        return new LinePlot(style, series, logY, enabled);
    }

    @Override
    LinePlot withStyle(FigureStyle newStyle) {
        return new LinePlot(newStyle, series, logY, markers);
    }

    @Override
    public void paint(Graphics2D g) {
        chart().paint(g, width(), height());
    }

    XYChart chart() {
        if (series.isEmpty()) {
            throw new IllegalStateException("LinePlot " + titleAndSize() + " has no series: add one with .series(...)");
        }
        XYChart chart = ChartStyle.newChart(style);
        List<double[]> xs = new ArrayList<>();
        List<double[]> ys = new ArrayList<>();
        for (Series s : series) {
            xs.add(s.x());
            ys.add(logY ? ChartStyle.exponents(s.y()) : drawable(s.y()));
        }
        double[] xRange = ChartStyle.range(xs, false), yRange = ChartStyle.range(ys, false);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            // A curve lying on an earlier one (L-BFGS with AD and with FD gradients, notebook 02) would hide it:
            // it is drawn as markers only, so the earlier line shows through. (Dashes are no way out: XChart
            // strokes segment by segment and restarts the pattern at every sample.)
            boolean pointsOnly = s.pointsOnly() || (s.x().length <= MAX_MARKERS && liesOnAnEarlier(i, xs, ys, yRange));
            XYSeries drawn = chart.addSeries(s.name(), s.x(), ys.get(i));
            ChartStyle.curve(drawn, i, pointsOnly ? ChartStyle.NO_LINE : ChartStyle.SOLID, markers || pointsOnly);
        }
        if (logY) {
            ChartStyle.powerAxisY(chart, yRange[1] - yRange[0]);
        }
        ChartStyle.roundTicks(chart, xRange[0], xRange[1], yRange[0], yRange[1]);
        ChartStyle.placeLegend(chart, xs, ys, series.stream().map(Series::name).toList());
        return chart;
    }

    /**
     * Whether most points of curve {@code i} sit within a pixel (0.3% of the y range) of an earlier curve at the same
     * x. At 1% the fitted conductivity of notebook 03, close to the true one but a curve in its own right, turned
     * into dots.
     */
    private static boolean liesOnAnEarlier(int i, List<double[]> xs, List<double[]> ys, double[] yRange) {
        double tolerance = 0.003 * Math.max(yRange[1] - yRange[0], Double.MIN_NORMAL);
        for (int j = 0; j < i; j++) {
            int shared = Math.min(xs.get(i).length, xs.get(j).length), close = 0;
            for (int k = 0; k < shared; k++) {
                if (xs.get(i)[k] == xs.get(j)[k] && Math.abs(ys.get(i)[k] - ys.get(j)[k]) <= tolerance) {
                    close++;
                }
            }
            if (close >= 0.5 * xs.get(i).length) {
                return true;
            }
        }
        return false;
    }

    private static double[] drawable(double[] y) {
        double[] out = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            out[i] = Double.isFinite(y[i]) ? y[i] : Double.NaN;
        }
        return out;
    }

    private static int positiveCount(double[] y) {
        int n = 0;
        for (double v : y) {
            if (v > 0 && Double.isFinite(v)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String description() {
        List<String> parts = new ArrayList<>();
        for (Series s : series) {
            parts.add(s.name() + " (" + s.x().length + " points)");
        }
        return "LinePlot " + titleAndSize() + (logY ? ", log y" : "") + ": " + String.join(", ", parts);
    }
}
