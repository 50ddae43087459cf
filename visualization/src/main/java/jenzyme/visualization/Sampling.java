package jenzyme.visualization;

import java.util.function.DoubleUnaryOperator;

/**
 * Display stage: evaluating user functions on grids for the charts, and the argument checks that go with it.
 * Non-finite values become NaN, which XChart draws as a gap: a pole or a log of a negative number should leave a
 * hole in the curve, not wreck the axis range.
 */
final class Sampling {

    static final int MAX_SAMPLES = 1_000_000;

    private Sampling() {
    }

    /** {@code n} equally spaced points from {@code from} to {@code to}, both ends included exactly. */
    static double[] grid(double from, double to, int n) {
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i == n - 1 ? to : from + (to - from) * i / (n - 1);
        }
        return xs;
    }

    static double[] evaluate(DoubleUnaryOperator f, double[] xs, String curve) {
        double[] ys = new double[xs.length];
        boolean anyFinite = false;
        for (int i = 0; i < xs.length; i++) {
            double y;
            try {
                y = f.applyAsDouble(xs[i]);
            } catch (RuntimeException e) {
                throw new PlotEvaluationException(curve + " threw at x = " + xs[i] + ": " + e, e);
            }
            ys[i] = Double.isFinite(y) ? y : Double.NaN;
            anyFinite |= Double.isFinite(y);
        }
        if (!anyFinite) {
            throw new PlotEvaluationException(curve + " has no finite value on [" + xs[0] + ", "
                    + xs[xs.length - 1] + "]: nothing to draw");
        }
        return ys;
    }

    static void requireRange(String axis, double min, double max) {
        if (!(Double.isFinite(min) && Double.isFinite(max) && min < max)) {
            throw new IllegalArgumentException(axis + " range: expected finite min < max, got [" + min + ", " + max + "]");
        }
    }

    static void requireSamples(String what, int n, int min) {
        if (n < min || n > MAX_SAMPLES) {
            throw new IllegalArgumentException(what + ": expected " + min + ".." + MAX_SAMPLES + ", got " + n);
        }
    }

    /** Series names are legend labels; a leading blank is reserved for the charts' invisible helper series. */
    static void requireSeriesName(String name) {
        if (name == null || name.isBlank() || Character.isWhitespace(name.charAt(0))) {
            throw new IllegalArgumentException("series name: expected a non-blank name not starting with a blank, got "
                    + (name == null ? "null" : "'" + name + "'"));
        }
    }

    static <T> T requireNonNull(T value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + ": expected a value, got null");
        }
        return value;
    }
}
