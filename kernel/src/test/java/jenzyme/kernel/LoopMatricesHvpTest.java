package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code %autodiff hvp} of a notebook method that makes a matrix in each Newton iteration of each time step (refused
 * before; Enzyme's second sweep now runs with runtime activity): H·v against central differences of {@code
 * %autodiff reverse}'s gradient along v, a throw inside the product reaches the cell as the JVM's exception, and an
 * object copied back (whose failures return instead of unwinding) survives 10^4 throws inside such products.
 */
class LoopMatricesHvpTest {

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells("""
            double implicitPendulum(double[] p, int steps, int iters) {
                double[] y = {p[0], p[1]};
                double a = p[2], h = 0.1;
                for (int s = 0; s < steps; s++) {
                    double[] z = {y[0], y[1]};
                    for (int k = 0; k < iters; k++) {
                        if (Double.isNaN(z[0])) throw new IllegalArgumentException("Newton diverged");
                        if (k == 20) throw new IllegalStateException("no convergence in 20 Newton iterations");
                        double[][] J = {{1, -h}, {h * a * Math.cos(z[0]), 1}};
                        double g0 = z[0] - y[0] - h * z[1], g1 = z[1] - y[1] + h * a * Math.sin(z[0]);
                        double det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
                        z[0] -= (g0 * J[1][1] - J[0][1] * g1) / det;
                        z[1] -= (J[0][0] * g1 - J[1][0] * g0) / det;
                    }
                    y = z;
                }
                return y[0] * y[0] + Math.sin(y[1]);
            }
            final class Counter {
                int calls;
                double w;
                Counter(int calls, double w) { this.calls = calls; this.w = w; }
            }
            double counted(Counter c, double[] p, int steps, int iters) {
                c.calls++;
                c.w = p[0];
                return implicitPendulum(p, steps, iters);
            }
            """);

    @Test
    void hvpOfMatricesMadeInANestedLoopMatchesDifferencesOfTheGradient() throws Exception {
        assertTrue(cells.text("%autodiff hvp implicitPendulum").contains(
                "double[] implicitPendulum_hvp(double[] p, double[] v, int steps, int iters)"));
        cells.run("%autodiff reverse implicitPendulum");
        cells.run("double[] p = {0.4, -0.3, 0.8}, v = {1, -0.5, 2}, hv = implicitPendulum_hvp(p, v, 6, 4);");
        double h = 1e-5;
        double[] hv = cells.numbers("hv[0], hv[1], hv[2]");
        for (int i = 0; i < 3; i++) {
            double[] g = cells.numbers(String.format(
                    "implicitPendulum_grad(new double[] {0.4 + %1$s, -0.3 - 0.5 * %1$s, 0.8 + 2 * %1$s}, 6, 4).dp()[%2$d],"
                    + " implicitPendulum_grad(new double[] {0.4 - %1$s, -0.3 + 0.5 * %1$s, 0.8 - 2 * %1$s}, 6, 4).dp()[%2$d]",
                    h, i));
            double fd = (g[0] - g[1]) / (2 * h);
            assertEquals(fd, hv[i], 1e-6 * (1 + Math.abs(fd)), "(H v)_" + i);
        }
        String refused = cells.refusal("implicitPendulum_hvp(new double[] {Double.NaN, 0, 1}, v, 3, 4)");
        assertTrue(refused.contains("Newton diverged"), refused);
    }

    /**
     * An object parameter whose fields the method writes is copied back after the call, so its failures return
     * through every caller instead of unwinding (the copy-out must run): 10^4 products throwing in the 21st Newton
     * iteration (inside the callee implicitPendulum) between 10^4 that do not leave the kernel up, count the calls as
     * the JVM does, and H·v in p equals the pure method's (above, against differences of the gradient).
     */
    @Test
    void aCopiedBackObjectSurvivesThrowsInsideTheProduct() throws Exception {
        assertTrue(cells.text("%autodiff hvp counted").contains(
                "CountedHvp counted_hvp(Counter c, Counter vc, double[] p, double[] vp, int steps, int iters)"));
        cells.run("%autodiff hvp implicitPendulum");
        cells.run("Counter counter = new Counter(0, 0); double[] q = {0.4, -0.3, 0.8}, vq = {1, -0.5, 2};");
        cells.run("int thrown = 0; for (int i = 0; i < 20000; i++) { try { counted_hvp(counter, new Counter(0, 1), q, vq,"
                + " 3, i % 2 == 0 ? 25 : 4); } catch (IllegalStateException e) { thrown++; } }");
        assertEquals(10_000, cells.numbers("thrown")[0], 0);
        assertEquals(20_000, cells.numbers("counter.calls")[0], 0);
        double[] hv = cells.numbers("counted_hvp(counter, new Counter(0, 1), q, vq, 3, 4).hvp()[0],"
                + " counted_hvp(counter, new Counter(0, 1), q, vq, 3, 4).hvp()[1],"
                + " counted_hvp(counter, new Counter(0, 1), q, vq, 3, 4).hvp()[2]");
        double[] pure = cells.numbers("implicitPendulum_hvp(q, vq, 3, 4)[0], implicitPendulum_hvp(q, vq, 3, 4)[1],"
                + " implicitPendulum_hvp(q, vq, 3, 4)[2]");
        for (int i = 0; i < 3; i++) {
            assertEquals(pure[i], hv[i], 1e-12 * (1 + Math.abs(pure[i])), "(H v)_" + i);
        }
    }
}
