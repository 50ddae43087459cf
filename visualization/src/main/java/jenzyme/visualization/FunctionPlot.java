package jenzyme.visualization;

import org.knowm.xchart.XYChart;

import java.awt.Graphics2D;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * Display stage: a scalar function of one variable and, optionally, its derivative on the same axes (solid f,
 * f' in the next colour), sampled on an even grid when rendered. Built by {@link Plots#function} and {@link Plots#slice}.
 */
public final class FunctionPlot extends ChartFigure<FunctionPlot> {

    static final int DEFAULT_SAMPLES = 401;

    private final DoubleUnaryOperator f;
    private final DoubleUnaryOperator derivative;
    private final double xmin;
    private final double xmax;
    private final int samples;
    private final String fName;
    private final String derivativeName;

    FunctionPlot(FigureStyle style, DoubleUnaryOperator f, DoubleUnaryOperator derivative, double xmin, double xmax,
                 int samples, String fName, String derivativeName) {
        super(style);
        this.f = Sampling.requireNonNull(f, "function");
        this.derivative = derivative;
        Sampling.requireRange("x", xmin, xmax);
        Sampling.requireSamples("samples", samples, 2);
        Sampling.requireSeriesName(fName);
        if (derivative != null) {
            Sampling.requireSeriesName(derivativeName);
        }
        if (derivative != null && derivativeName.equals(fName)) {
            throw new IllegalArgumentException("curve names: expected two distinct names, got '" + fName + "' and '"
                    + derivativeName + "'");
        }
        this.xmin = xmin;
        this.xmax = xmax;
        this.samples = samples;
        this.fName = fName;
        this.derivativeName = derivativeName;
    }

    /** Number of evenly spaced evaluation points, ends included (default 401). */
    public FunctionPlot samples(int count) {
        return new FunctionPlot(style, f, derivative, xmin, xmax, count, fName, derivativeName);
    }

    /** Legend names of the function and of its derivative. */
    public FunctionPlot names(String function, String derivativeCurve) {
        return new FunctionPlot(style, f, derivative, xmin, xmax, samples, function, derivativeCurve);
    }

    @Override
    FunctionPlot withStyle(FigureStyle newStyle) {
        return new FunctionPlot(newStyle, f, derivative, xmin, xmax, samples, fName, derivativeName);
    }

    @Override
    public void paint(Graphics2D g) {
        chart().paint(g, width(), height());
    }

    XYChart chart() {
        double[] xs = Sampling.grid(xmin, xmax, samples);
        List<double[]> curves = new ArrayList<>();
        curves.add(Sampling.evaluate(f, xs, fName));
        if (derivative != null) {
            curves.add(Sampling.evaluate(derivative, xs, derivativeName));
        }
        XYChart chart = ChartStyle.newChart(style);
        chart.getStyler().setXAxisMin(xmin);
        chart.getStyler().setXAxisMax(xmax);
        if (spansZero(curves)) {
            ChartStyle.zeroLine(chart, xmin, xmax);
        }
        // Both curves solid: XChart strokes a curve segment by segment, so a dash pattern restarts every sample and
        // reads as solid on the plot while the legend shows dashes.
        ChartStyle.curve(chart.addSeries(shownName(fName), xs, curves.get(0)), 0, ChartStyle.SOLID, false);
        if (derivative != null) {
            ChartStyle.curve(chart.addSeries(shownName(derivativeName), xs, curves.get(1)), 1, ChartStyle.SOLID, false);
        }
        double[] yRange = ChartStyle.range(curves, false);
        ChartStyle.roundTicks(chart, xmin, xmax, yRange[0], yRange[1]);
        ChartStyle.placeLegend(chart, curves.stream().map(c -> xs).toList(), curves,
                derivative == null ? List.of(shownName(fName)) : List.of(shownName(fName), shownName(derivativeName)));
        return chart;
    }

    /** The default names f(x) and f'(x) follow the x axis: after {@code .xLabel("s")} the legend says f(s), f'(s). */
    private String shownName(String name) {
        String variable = style.xLabel();
        boolean defaultName = name.equals("f(x)") || name.equals("f'(x)");
        return defaultName && !variable.isBlank() && !variable.equals("x") && variable.length() <= 12
                ? name.replace("(x)", "(" + variable + ")") : name;
    }

    private static boolean spansZero(List<double[]> curves) {
        boolean negative = false, positive = false;
        for (double[] ys : curves) {
            for (double y : ys) {
                negative |= y < 0;
                positive |= y > 0;
            }
        }
        return negative && positive;
    }

    @Override
    public String description() {
        String curves = derivative == null ? fName : fName + " and " + derivativeName;
        return "FunctionPlot " + titleAndSize() + ": " + curves + " on [" + xmin + ", " + xmax + "], " + samples
                + " samples";
    }
}
