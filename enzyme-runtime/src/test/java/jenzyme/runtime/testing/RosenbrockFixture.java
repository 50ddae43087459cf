package jenzyme.runtime.testing;

/**
 * ./bench's Rosenbrock loop as test source: {@link #METHOD}, a static method {@code double rosen(double[] x)} to put
 * in a fixture class, one copy for the tests of the fast-math stencil, the fast-math pipeline and loop chunking. Its
 * terms are non-negative, so its value is also Σ|terms|, the scale of its rounding in any summation order.
 */
public final class RosenbrockFixture {

    /** Σ 100 (x[i+1] − x[i]²)² + (1 − x[i])², as Java source of nine lines (no newline after the last). */
    public static final String METHOD = """
            public static double rosen(double[] x) {
                double s = 0;
                for (int i = 0; i + 1 < x.length; i++) {
                    double u = x[i + 1] - x[i] * x[i];
                    double v = 1 - x[i];
                    s += 100 * u * u + v * v;
                }
                return s;
            }""";

    private RosenbrockFixture() {}
}
