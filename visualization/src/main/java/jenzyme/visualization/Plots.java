package jenzyme.visualization;

import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Display stage: the entry point for figures in notebook cells. Every method returns an immutable chart with
 * sensible titles, labels and a 640 × 420 size; chain options ({@code .title(..)}, {@code .size(..)},
 * {@code .svg(true)}, ...) and leave it as the cell's last expression to display it.
 *
 * <pre>{@code
 * Plots.function(x -> Math.tanh(x), x -> 1 / Math.pow(Math.cosh(x), 2), -3, 3).title("tanh");
 * Plots.heatMap((x, y) -> rosenbrock(x, y), -2, 2, -1, 3).logColor(true).path("L-BFGS", iterates);
 * Plots.convergence().series("AD gradient", lossAd).series("FD gradient", lossFd);
 * }</pre>
 *
 * Functions are evaluated when the figure is rendered; a function that throws surfaces as a
 * {@link PlotEvaluationException} naming the point.
 */
public final class Plots {

    private Plots() {
    }

    /** f and its derivative on [xmin, xmax]: f solid, f' dashed, on the same axes. */
    public static FunctionPlot function(DoubleUnaryOperator f, DoubleUnaryOperator derivative, double xmin, double xmax) {
        Sampling.requireNonNull(derivative, "derivative (use Plots.function(f, xmin, xmax) to plot f alone)");
        return new FunctionPlot(FigureStyle.of("f and its derivative", "x", "y"), f, derivative, xmin, xmax,
                FunctionPlot.DEFAULT_SAMPLES, "f(x)", "f'(x)");
    }

    /** f alone on [xmin, xmax]. */
    public static FunctionPlot function(DoubleUnaryOperator f, double xmin, double xmax) {
        return new FunctionPlot(FigureStyle.of("f", "x", "f(x)"), f, null, xmin, xmax, FunctionPlot.DEFAULT_SAMPLES,
                "f(x)", null);
    }

    /**
     * The slice of a multivariate f through {@code x0} along coordinate {@code coordinate} (x_i running over
     * [from, to], the other coordinates held at x0), with the partial derivative ∂f/∂x_i taken from
     * {@code gradient}.
     */
    public static FunctionPlot slice(ToDoubleFunction<double[]> f, Function<double[], double[]> gradient, double[] x0,
                                     int coordinate, double from, double to) {
        Sampling.requireNonNull(f, "function");
        Sampling.requireNonNull(gradient, "gradient");
        Sampling.requireNonNull(x0, "x0");
        if (coordinate < 0 || coordinate >= x0.length) {
            throw new IllegalArgumentException("coordinate: expected 0.." + (x0.length - 1) + " for a point of dimension "
                    + x0.length + ", got " + coordinate);
        }
        double[] base = x0.clone();
        String xi = "x" + subscript(coordinate);
        DoubleUnaryOperator along = t -> f.applyAsDouble(moved(base, coordinate, t));
        DoubleUnaryOperator partial = t -> {
            double[] g = gradient.apply(moved(base, coordinate, t));
            if (g == null || g.length != base.length) {
                throw new IllegalArgumentException("gradient: expected an array of length " + base.length + ", got "
                        + (g == null ? "null" : "length " + g.length));
            }
            return g[coordinate];
        };
        return new FunctionPlot(FigureStyle.of("slice along " + xi, xi, "value"), along, partial, from, to,
                FunctionPlot.DEFAULT_SAMPLES, "f", "∂f/∂" + xi);
    }

    /** f(x, y) as a heat map over [xmin, xmax] × [ymin, ymax]. */
    public static HeatMapPlot heatMap(DoubleBinaryOperator f, double xmin, double xmax, double ymin, double ymax) {
        return new HeatMapPlot(FigureStyle.of("f(x, y)", "x", "y"), f, "f(x, y)", xmin, xmax, ymin, ymax,
                HeatMapPlot.DEFAULT_GRID, HeatMapPlot.DEFAULT_GRID, false, HeatMapPlot.DEFAULT_CONTOURS, List.of());
    }

    /** A function of a 2-vector {x, y} as a heat map over [xmin, xmax] × [ymin, ymax]. */
    public static HeatMapPlot heatMap(ToDoubleFunction<double[]> f, double xmin, double xmax, double ymin, double ymax) {
        Sampling.requireNonNull(f, "function");
        return heatMap((x, y) -> f.applyAsDouble(new double[] {x, y}), xmin, xmax, ymin, ymax);
    }

    /** |∇f(x, y)| as a heat map, from a gradient returning {∂f/∂x, ∂f/∂y}; zeros show stationary points. */
    public static HeatMapPlot gradientNorm(Function<double[], double[]> gradient, double xmin, double xmax, double ymin,
                                           double ymax) {
        Sampling.requireNonNull(gradient, "gradient");
        DoubleBinaryOperator norm = (x, y) -> {
            double[] g = gradient.apply(new double[] {x, y});
            if (g == null || g.length != 2) {
                throw new IllegalArgumentException("gradient: expected an array of length 2, got "
                        + (g == null ? "null" : "length " + g.length));
            }
            return Math.hypot(g[0], g[1]);
        };
        return heatMap(norm, xmin, xmax, ymin, ymax).title("|∇f(x, y)|").valueName("|∇f(x, y)|");
    }

    /**
     * ODE states against time: {@code states[k]} is the state vector at {@code t[k]} (the layout an integrator
     * loop fills). One curve per component, named by {@code names} (default y0, y1, ...).
     */
    public static LinePlot trajectories(double[] t, double[][] states, String... names) {
        Sampling.requireNonNull(t, "t");
        Sampling.requireNonNull(states, "states");
        if (states.length != t.length || t.length == 0) {
            throw new IllegalArgumentException("states: expected one state per time (" + t.length + "), got "
                    + states.length);
        }
        int dimension = Sampling.requireNonNull(states[0], "states[0]").length;
        if (names.length != 0 && names.length != dimension) {
            throw new IllegalArgumentException("names: expected one per state component (" + dimension + "), got "
                    + names.length);
        }
        LinePlot plot = lines().title("trajectories").xLabel("t").yLabel("state");
        for (int c = 0; c < dimension; c++) {
            double[] component = new double[t.length];
            for (int k = 0; k < t.length; k++) {
                double[] state = Sampling.requireNonNull(states[k], "states[" + k + "]");
                if (state.length != dimension) {
                    throw new IllegalArgumentException("states[" + k + "]: expected " + dimension
                            + " components like states[0], got " + state.length);
                }
                component[k] = state[c];
            }
            plot = plot.series(names.length == 0 ? "y" + c : names[c], t, component);
        }
        return plot;
    }

    /** An empty line plot: add curves with {@code .series(name, x, y)}. */
    public static LinePlot lines() {
        return new LinePlot(FigureStyle.of("", "x", "y"), List.of(), false, false);
    }

    /** An empty convergence plot (log-scale loss against iteration): add histories with {@code .series(name, losses)}. */
    public static LinePlot convergence() {
        return new LinePlot(FigureStyle.of("convergence", "iteration", "loss"), List.of(), true, false);
    }

    /** A convergence plot of one loss history, {@code losses[i]} after iteration i. */
    public static LinePlot convergence(String name, double[] losses) {
        return convergence().series(name, losses);
    }

    private static double[] moved(double[] base, int coordinate, double value) {
        double[] x = base.clone();
        x[coordinate] = value;
        return x;
    }

    private static String subscript(int index) {
        StringBuilder out = new StringBuilder();
        for (char digit : Integer.toString(index).toCharArray()) {
            out.append((char) ('₀' + digit - '0'));
        }
        return out.toString();
    }
}
