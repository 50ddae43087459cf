package jenzyme.bench;

/**
 * The correctness check of one implementation against the reference (the JVM's value, our reverse gradient),
 * done before anything is timed.
 *
 * @param valueError        |value - reference| / |reference|
 * @param gradientError     max_i |g_i - r_i| / max_i |r_i| over the compared components (NaN without a gradient)
 * @param components        how many gradient components were compared
 * @param gradientTolerance the bound {@code gradientError} had to meet (NaN without a gradient)
 */
public record Check(Column column, double valueError, double gradientError, int components,
                    double gradientTolerance, boolean passed) {

    /** Loss values must agree to this relative error (issue 7). */
    public static final double VALUE_TOLERANCE = 1e-12;
    /** Gradients of AD implementations must agree to this norm-wise relative error (issue 7). */
    public static final double GRADIENT_TOLERANCE = 1e-8;
    /**
     * Central differences carry truncation error ~h^2 |f'''| and rounding error ~eps |f| / h, so they are held to
     * this bound plus {@value #FD_ROUNDING_FACTOR} times the rounding bound, which dominates where the loss is a
     * large sum (Rosenbrock at n = 10^6 has |f| ~ 4e8). They check our gradient independently of any AD tool.
     */
    public static final double FD_TOLERANCE = 1e-6;
    public static final double FD_ROUNDING_FACTOR = 8;

    public static Check of(Contender contender, double referenceValue, double[] referenceGradient) {
        Evaluation result = contender.result();
        double valueError = relative(result.value(), referenceValue);
        boolean valueOk = valueError <= VALUE_TOLERANCE;
        if (!result.hasGradient()) {
            return new Check(contender.column(), valueError, Double.NaN, 0, Double.NaN, valueOk);
        }
        double[] gradient = result.gradient();
        if (gradient.length > referenceGradient.length) {
            throw new IllegalArgumentException("expected at most " + referenceGradient.length
                    + " gradient components from " + contender.column() + ", got " + gradient.length);
        }
        double worst = 0, scale = 0;
        for (int i = 0; i < gradient.length; i++) {
            worst = Math.max(worst, Math.abs(gradient[i] - referenceGradient[i]));
            scale = Math.max(scale, Math.abs(referenceGradient[i]));
        }
        double gradientError = scale > 0 ? worst / scale : worst;
        double tolerance = contender.column() != Column.FINITE_DIFFERENCES ? GRADIENT_TOLERANCE
                : FD_TOLERANCE + FD_ROUNDING_FACTOR * Math.ulp(1.0) * Math.abs(referenceValue)
                        / (JvmContenders.FD_STEP * Math.max(scale, Double.MIN_NORMAL));
        // NaN never passes: every comparison with it is false.
        boolean passed = valueOk && gradientError <= tolerance;
        return new Check(contender.column(), valueError, gradientError, gradient.length, tolerance, passed);
    }

    private static double relative(double value, double reference) {
        double difference = Math.abs(value - reference);
        return reference != 0 ? difference / Math.abs(reference) : difference;
    }

    public String describe() {
        String gradient = Double.isNaN(gradientError) ? "" : String.format(
                ", gradient %.1e (tol %.1e, %d components)", gradientError, gradientTolerance, components);
        return String.format("%s: value %.1e%s%s", column.header(), valueError, gradient, passed ? "" : " FAILED");
    }
}
