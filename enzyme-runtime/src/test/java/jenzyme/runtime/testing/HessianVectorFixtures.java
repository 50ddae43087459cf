package jenzyme.runtime.testing;

/**
 * Methods whose Hessian-vector products the binding tests call: Rosenbrock, whose H·v has a closed form
 * ({@link #rosenbrockHessianTimes}), and {@code scaled}, with an array, an Active scalar (its part of H·v goes to
 * {@code out}) and data that a test makes Const ({@code d}).
 */
public final class HessianVectorFixtures {

    public static final String CLASS = "hv/Hv";

    private static final String SOURCE = """
            package hv;
            public class Hv {
                public static double rosenbrock(double[] p) {
                    double s = 0;
                    for (int i = 0; i + 1 < p.length; i++) {
                        double u = p[i + 1] - p[i] * p[i], v = 1 - p[i];
                        s += 100 * u * u + v * v;
                    }
                    return s;
                }
                public static double scaled(double[] w, double c, double[] d) {
                    double s = 0;
                    for (int i = 0; i < w.length; i++) s += Math.exp(c * w[i]) * d[i] + c * c * w[i] * w[i];
                    return s;
                }
            }
            """;

    private HessianVectorFixtures() {
    }

    public static CompiledClasses compile() {
        return InMemoryJavac.compile("hv.Hv", SOURCE);
    }

    /** H(p)·v of Rosenbrock's function, from its analytic Hessian. */
    public static double[] rosenbrockHessianTimes(double[] p, double[] v) {
        int n = p.length;
        double[] hv = new double[n];
        for (int i = 0; i < n; i++) {
            double diagonal = (i > 0 ? 200 : 0) + (i + 1 < n ? 1200 * p[i] * p[i] - 400 * p[i + 1] + 2 : 0);
            hv[i] = diagonal * v[i] + (i > 0 ? -400 * p[i - 1] * v[i - 1] : 0)
                    + (i + 1 < n ? -400 * p[i] * v[i + 1] : 0);
        }
        return hv;
    }
}
