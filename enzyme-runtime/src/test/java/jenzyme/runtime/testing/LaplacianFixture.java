package jenzyme.runtime.testing;

/**
 * A squared three-point Laplacian with a scalar as test source: {@link #METHOD}, a static method
 * {@code double laplace(double[] x, double a)} to put in a fixture class (offsets -1, 0, 1 from a loop starting at 1,
 * a division), one copy for the tests of the fast-math stencil and of its split calls.
 */
public final class LaplacianFixture {

    /** Σ a (x[i-1] − 2 x[i] + x[i+1])² + x[i] / (1 + x[i]²), as Java source (no newline after the last line). */
    public static final String METHOD = """
            public static double laplace(double[] x, double a) {
                double s = 0;
                for (int i = 1; i + 1 < x.length; i++) {
                    double d = x[i - 1] - 2 * x[i] + x[i + 1];
                    s += a * d * d + x[i] / (1 + x[i] * x[i]);
                }
                return s;
            }""";

    private LaplacianFixture() {}

    /** Σ|terms| + 1 per term of the sum at {@code x}: the scale of its rounding in any summation order. */
    public static double terms(double[] x, double a) {
        double magnitude = 0;
        for (int i = 1; i + 1 < x.length; i++) {
            double d = x[i - 1] - 2 * x[i] + x[i + 1];
            magnitude += Math.abs(a) * d * d + Math.abs(x[i] / (1 + x[i] * x[i])) + 1;
        }
        return magnitude;
    }
}
