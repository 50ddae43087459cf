package jenzyme.visualization;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Display stage: maps a heat map's values to [0, 1] for the colour map, linearly or logarithmically, and picks the
 * colour bar's tick values. A log scale shows at most {@value #LOG_DECADES} decades below the maximum: a grid point
 * landing almost exactly on a minimiser (Rosenbrock's f = 1e-30) must not squash the rest of the picture into one
 * colour. When values reach zero or below, the log is taken of {@code v - min}, so objective functions with f* = 0
 * still get a log view.
 */
final class ColorScale {

    static final int LOG_DECADES = 8;

    private final boolean log;
    private final double offset;
    private final double smin;
    private final double smax;

    private ColorScale(boolean log, double offset, double smin, double smax) {
        this.log = log;
        this.offset = offset;
        this.smin = smin;
        this.smax = smax;
    }

    /** A scale spanning the finite values in {@code values}, which must contain at least one. */
    static ColorScale fit(double[][] values, boolean log) {
        double vmin = Double.POSITIVE_INFINITY, vmax = Double.NEGATIVE_INFINITY;
        for (double[] row : values) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    vmin = Math.min(vmin, v);
                    vmax = Math.max(vmax, v);
                }
            }
        }
        if (!log) {
            return new ColorScale(false, 0, vmin, vmax);
        }
        // With values down to zero or below, take the log of the distance to the minimum (offset = vmin): an
        // objective with f* = 0 then gets clean decade labels, and the floor below keeps log(0) out.
        double offset = vmin > 0 ? 0 : vmin;
        double top = vmax > offset ? Math.log10(vmax - offset) : 0;
        double bottom = vmin > offset ? Math.log10(vmin - offset) : Double.NEGATIVE_INFINITY;
        return new ColorScale(true, offset, Math.max(bottom, top - LOG_DECADES), top);
    }

    /** Position of {@code v} on the colour map, clamped to [0, 1]; NaN for non-finite values. */
    double position(double v) {
        if (!Double.isFinite(v)) {
            return Double.NaN;
        }
        if (smax == smin) {
            return 0.5;
        }
        double s = log ? Math.log10(Math.max(v - offset, Double.MIN_NORMAL)) : v;
        return Math.min(1, Math.max(0, (s - smin) / (smax - smin)));
    }

    /** A colour-bar tick: where it sits on the colour map (0 = bottom) and its label. */
    record Tick(double position, String label) {
    }

    /** Ticks at "nice" values: whole decades on a log scale, 1-2-5 steps otherwise. */
    List<Tick> ticks() {
        List<Tick> ticks = new ArrayList<>();
        if (smax == smin) {
            ticks.add(new Tick(0.5, tickLabel(smax)));
            return ticks;
        }
        double step = log && smax - smin >= 2 ? Math.ceil((smax - smin) / 6) : niceStep((smax - smin) / 5);
        // Integer multiples of the step, not a running sum, so that labels read 0.3 and 0, not 0.30000000000000004.
        for (long k = (long) Math.ceil(smin / step - 1e-9); k * step <= smax + 1e-9 * step; k++) {
            double s = k == 0 ? 0 : k * step;
            ticks.add(new Tick(Math.min(1, Math.max(0, (s - smin) / (smax - smin))), tickLabel(s)));
        }
        return ticks;
    }

    /** The label at scale position {@code s}: 10ᵏ on a plain log scale, the value itself otherwise. */
    private String tickLabel(double s) {
        if (log && offset == 0) {
            return PowerLabels.power(s);
        }
        return label(log ? Math.pow(10, s) + offset : s);
    }

    boolean isLog() {
        return log;
    }

    /** The smallest 1, 2 or 5 times a power of ten that is at least {@code rough}. */
    static double niceStep(double rough) {
        double decade = Math.pow(10, Math.floor(Math.log10(rough)));
        for (double m : new double[] {1, 2, 5}) {
            if (m * decade >= rough * (1 - 1e-12)) {
                return m * decade;
            }
        }
        return 10 * decade;
    }

    /** Compact tick label: 3 significant digits, m×10ᵏ outside [1e-3, 1e5) (as {@link PowerLabels}). */
    static String label(double v) {
        if (v == 0) {
            return "0";
        }
        BigDecimal rounded = new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros();
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e5) {
            return rounded.toPlainString();
        }
        int exponent = rounded.precision() - rounded.scale() - 1;
        String mantissa = rounded.movePointLeft(exponent).toPlainString();
        String power = PowerLabels.power(exponent);
        return switch (mantissa) {
            case "1" -> power;
            case "-1" -> "-" + power;
            default -> mantissa + "×" + power;
        };
    }
}
