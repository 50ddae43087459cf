package jenzyme.magics.gradcheck;

import java.util.Arrays;
import java.util.function.ToDoubleFunction;

/**
 * Gradient-check stage: one finite-difference partial derivative with an estimate of its own error.
 *
 * <p>Step: h_i = h · max(1, |x_i|). Central differences err by about h_i²·|f'''|/6 (truncation) plus
 * ε·|f|/h_i (rounding), which balance at h ≈ ε^(1/3) ≈ 6e-6 for unit-scale x — hence the default
 * {@link #DEFAULT_STEP}; scaling by |x_i| keeps the step meaningful for large coordinates, and the floor of 1 keeps
 * it from vanishing at x_i = 0. The divisor is the step actually taken, (x_i + h_i) − (x_i − h_i) in floating point,
 * not 2h_i, which removes the representation error of the step itself.
 *
 * <p>Error estimate: the same difference with step 2h_i has four times the truncation error, so
 * |D(2h) − D(h)| / 3 estimates the truncation error of D(h) (Richardson); adding the rounding bound
 * ε·(|f(x+h)| + |f(x−h)|)/(2h) gives {@link Estimate#error()}. It is what makes a component whose true derivative
 * is zero checkable: there the difference is pure error, and the estimate says how large that error may be.
 */
final class CentralDifference {

    static final double DEFAULT_STEP = Math.cbrt(Math.ulp(1.0));

    /** A partial derivative from central differences, its error estimate, and the step used. */
    record Estimate(double value, double error, double step) {
    }

    private CentralDifference() {
    }

    /** ∂f/∂x_i at {@code x} (which is not modified). */
    static Estimate partial(ToDoubleFunction<double[]> f, double[] x, int i, double h) {
        double hi = h * Math.max(1, Math.abs(x[i]));
        double[] at = Arrays.copyOf(x, x.length);
        double plus = x[i] + hi, minus = x[i] - hi;
        double fPlus = eval(f, at, i, plus), fMinus = eval(f, at, i, minus);
        double d1 = (fPlus - fMinus) / (plus - minus);
        double plus2 = x[i] + 2 * hi, minus2 = x[i] - 2 * hi;
        double d2 = (eval(f, at, i, plus2) - eval(f, at, i, minus2)) / (plus2 - minus2);
        double truncation = Math.abs(d2 - d1) / 3;
        double rounding = Math.ulp(1.0) * (Math.abs(fPlus) + Math.abs(fMinus)) / (plus - minus);
        return new Estimate(d1, truncation + rounding, hi);
    }

    private static double eval(ToDoubleFunction<double[]> f, double[] at, int i, double xi) {
        // f gets a fresh copy: a function that writes into its argument must not corrupt the next evaluation.
        double[] point = at.clone();
        point[i] = xi;
        return f.applyAsDouble(point);
    }
}
