package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lambda parameters in the modes beyond reverse/forward (docs/LAMBDAS.md): the Jacobian modes and
 * {@code --width N}, compiled per lambda target at the call like {@code _grad}/{@code _fwd}, against the analytic
 * derivatives of the lambdas passed (a capturing lambda, a method reference of an object).
 */
class LambdaModesTest {

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells("""
            @FunctionalInterface
            interface Pair { double of(double a, double b); }
            final class Scaled {
                final double s;
                Scaled(double s) { this.s = s; }
                double cube(double a, double b) { return s * a * a * b; }
            }
            double[] chain(Pair g, double[] x) {
                double[] y = new double[x.length];
                for (int i = 0; i < x.length; i++) y[i] = g.of(x[i], x[(i + 1) % x.length]);
                return y;
            }
            void chainInto(Pair g, double[] x, double[] y) {
                for (int i = 0; i < y.length; i++) y[i] = g.of(x[i], x[(i + 1) % x.length]);
            }
            double decayAt(java.util.function.DoubleBinaryOperator f, double y0, double t1) {
                int n = 100;
                double h = t1 / n, y = y0, t = 0;
                for (int i = 0; i < n; i++) { y += h * f.applyAsDouble(t, y); t += h; }
                return y;
            }
            double total(java.util.function.DoubleUnaryOperator h, double[] x, double w) {
                double s = 0;
                for (double v : x) s += w * h.applyAsDouble(v);
                return s;
            }
            """,
            "double c = 0.5; double[] x = {0.3, -1.2, 0.8};",
            "java.util.function.DoubleUnaryOperator expOf(double a) { return v -> Math.exp(a * v); }");

    /** dy_i/dx_j of y_i = g(x_i, x_{i+1 mod n}) with ∂g/∂a = ga(a, b), ∂g/∂b = gb(a, b). */
    private static double[][] expected(double[] x, java.util.function.DoubleBinaryOperator ga,
                                       java.util.function.DoubleBinaryOperator gb) {
        int n = x.length;
        double[][] j = new double[n][n];
        for (int i = 0; i < n; i++) {
            j[i][i] += ga.applyAsDouble(x[i], x[(i + 1) % n]);
            j[i][(i + 1) % n] += gb.applyAsDouble(x[i], x[(i + 1) % n]);
        }
        return j;
    }

    @Test
    void jacobiansOfMethodsTakingLambdasInForwardAndReverseMode() throws Exception {
        double[] x = {0.3, -1.2, 0.8};
        double c = 0.5;
        // c·sin(a)·b, capturing c
        double[][] sine = expected(x, (a, b) -> c * Math.cos(a) * b, (a, b) -> c * Math.sin(a));
        // a method reference of an object: 2·a²·b
        double[][] cube = expected(x, (a, b) -> 4 * a * b, (a, b) -> 2 * a * a);
        for (String mode : new String[] {"forward --width 2", "reverse"}) {
            assertTrue(cells.text("%autodiff jacobian chain --mode " + mode).contains("double[][] chain_jac(Pair g,"
                    + " double[] x)"));
            assertRows(sine, cells.matrix("chain_jac((a, b) -> c * Math.sin(a) * b, x)"), mode);
            assertRows(cube, cells.matrix("chain_jac(new Scaled(2)::cube, x)"), mode);
            cells.run("%autodiff jacobian chainInto --mode " + mode);
            assertRows(sine, cells.matrix("chainInto_jac((a, b) -> c * Math.sin(a) * b, x, new double[3])"), mode);
        }
    }

    private static void assertRows(double[][] expected, double[][] got, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], got[i], 1e-14, what + ", row " + i);
        }
    }

    @Test
    void batchedForwardModeTakesLambdas() throws Exception {
        assertTrue(cells.text("%autodiff forward total --width 2").contains("TotalTangents total_fwd("
                + "java.util.function.DoubleUnaryOperator h, double[] x, double[][] tx, double w, double[] tw)"));
        // w·Σ exp(c·v): lane 0 along x0, lane 1 along w
        cells.run("var t = total_fwd(v -> Math.exp(c * v), x, new double[][] {{1, 0, 0}, {0, 0, 0}}, 1.5,"
                + " new double[] {0, 1});");
        double[] x = {0.3, -1.2, 0.8};
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(0.5 * v);
        }
        double[] got = cells.numbers("t.value(), t.dvalue()[0], t.dvalue()[1]");
        assertArrayEquals(new double[] {1.5 * sum, 1.5 * 0.5 * Math.exp(0.5 * 0.3), sum}, got, 1e-14);
    }

    @Test
    void jitCompilesPerLambdaAndMatchesTheJvmBitForBit() throws Exception {
        assertTrue(cells.text("%jit total").contains("double total_native(java.util.function.DoubleUnaryOperator h,"
                + " double[] x, double w)"));
        // three lambda sites, one reading a notebook variable (k changes between calls), many inputs: bit for bit
        // where the lambda uses exactly rounded operations, within the transcendentals' 1-2 ulp per term otherwise
        // (docs/DERIVATIVES.md)
        cells.run("double k = 0.5; java.util.function.DoubleUnaryOperator damp = v -> Math.exp(k * v);"
                + " java.util.function.DoubleUnaryOperator sine = Math::sin;"
                + " java.util.function.DoubleUnaryOperator poly = v -> v * v - 3 * v;");
        assertEquals("[]", cells.text("""
                var r = new java.util.Random(8);
                var differ = new java.util.ArrayList<String>();
                for (int i = 0; i < 200; i++) {
                    double[] v = r.doubles(1 + r.nextInt(20), -3, 3).toArray();
                    double w = r.nextGaussian();
                    k = r.nextGaussian();
                    for (var h : java.util.List.of(damp, sine, poly)) {
                        double terms = 0;
                        for (double e : v) terms += Math.abs(w * h.applyAsDouble(e));
                        double bound = h == poly ? 0 : 4 * Math.ulp(terms);
                        if (Math.abs(total_native(h, v, w) - total(h, v, w)) > bound) {
                            differ.add(total_native(h, v, w) + " vs " + total(h, v, w));
                        }
                    }
                }
                differ.toString()""").replace("\"", ""));
    }

    @Test
    void hessianVectorProductsTakeLambdas() throws Exception {
        assertTrue(cells.text("%autodiff hvp total").contains("TotalHvp total_hvp(java.util.function.DoubleUnaryOperator h,"
                + " double[] x, double[] vx, double w, double vw)"));
        // w·Σ h(x_i), h = exp(a·v) capturing a: H·v = (w·h''(x_i)·vx_i + h'(x_i)·vw, Σ h'(x_i)·vx_i)
        double[] x = {0.3, -1.2, 0.8};
        double[] vx = {1, -0.5, 2};
        double a = 0.7, w = 1.5, vw = -0.25;
        double[] expected = new double[4];
        for (int i = 0; i < 3; i++) {
            double e = Math.exp(a * x[i]);
            expected[i] = w * a * a * e * vx[i] + a * e * vw;
            expected[3] += a * e * vx[i];
        }
        cells.run("var hv = total_hvp(expOf(0.7), x, new double[] {1, -0.5, 2}, 1.5, -0.25);");
        double[] got = cells.numbers("hv.hvx()[0], hv.hvx()[1], hv.hvx()[2], hv.hvw()");
        assertArrayEquals(expected, got, 1e-14);
    }

    @Test
    void theSameLambdaWrittenTwiceInACellIsOneLambdaAndDifferentOnesAreRefusedNamingTheCell() throws Exception {
        cells.run("%jit total");
        // QA R5: refused at the call ("several lambdas ... from  as h") though both lambdas have the same code
        double squares = 2 * (0.3 * 0.3 + 1.2 * 1.2 + 0.8 * 0.8);
        assertArrayEquals(new double[] {squares, squares},
                cells.numbers("total_native(v -> v * v, x, 2.0), total(v -> v * v, x, 2.0)"), 1e-14);
        String refused = cells.refusal("total_native(v -> v * v, x, 2.0) + total_native(v -> v * v * v, x, 2.0)");
        assertTrue(refused.contains("a lambda of type java.util.function.DoubleUnaryOperator from a cell as h: a cell "
                + "holds several lambdas of that type capturing the same types with different code"), refused);
    }

    @Test
    void gradcheckAndPlotTakeALambdaParameterFromANotebookVariable() throws Exception {
        cells.run("var decay = (java.util.function.DoubleBinaryOperator) (t, y) -> -0.8 * y;");
        // Euler's y0·(1 - k·h)^n, h = t1/n: d/dy0 = (1 - k·h)^n, d/dt1 = -k·y0·(1 - k·h)^(n-1)
        var f = cells.compiler().sampled(cells.compiler().method("decayAt"), java.util.Map.of("f", "decay"));
        assertEquals(2, f.dimension());
        for (double[] at : new double[][] {{1.5, 2}, {-0.5, 0.7}, {2, 3}}) {
            double step = 1 - 0.8 * at[1] / 100;
            assertEquals(at[0] * Math.pow(step, 100), f.value().applyAsDouble(at), 1e-13);
            assertArrayEquals(new double[] {Math.pow(step, 100), -0.8 * at[0] * Math.pow(step, 99)},
                    f.gradient().apply(at), 1e-13);
        }
        assertTrue(cells.text("%gradcheck decayAt f=decay --points 3 --seed 2").startsWith(
                "gradcheck passed: 3 points × 2 components"));
        cells.run("%plot decayAt f=decay --at 1,2 --coord 1 --x 0:3"); // raises if refused
        assertTrue(cells.refusal("%gradcheck decayAt at 1,2").contains("decayAt takes the lambda f (a"
                + " DoubleBinaryOperator): name a notebook variable holding the one to use"));
        assertTrue(cells.refusal("%gradcheck decayAt f=nothing at 1,2").contains("nothing is no variable of the"
                + " notebook"));
        assertTrue(cells.refusal("%gradcheck decayAt y0=decay at 1,2").contains("has no lambda parameter y0"));
    }
}
