package jenzyme.bench.workloads;

import org.hipparchus.analysis.differentiation.Gradient;

/**
 * The Jacobian row of {@code ./bench}: the right-hand side of the Lorenz-96 model with 20 states (a 20×20 ODE
 * right-hand-side Jacobian, the shape of the FastDifferentiation benchmarks' ODE case), by hand, with Hipparchus's
 * forward-mode {@link Gradient}, and as the plain method our {@code %autodiff jacobian} differentiates.
 */
public final class Lorenz96 {

    public static final int N = 20;
    public static final double FORCING = 8;

    private Lorenz96() {}

    /** du/dt = (u[i+1] - u[i-2]) u[i-1] - u[i] + F, indices modulo n. */
    public static void rhs(double[] u, double[] du) {
        int n = u.length;
        for (int i = 0; i < n; i++) {
            du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + FORCING;
        }
    }

    /** The Jacobian written by hand (4 entries per row), the reference the target ratio is taken against. */
    public static void handJacobian(double[] u, double[][] j) {
        int n = u.length;
        for (int i = 0; i < n; i++) {
            double[] row = j[i];
            java.util.Arrays.fill(row, 0);
            row[(i + 1) % n] += u[(i + n - 1) % n];
            row[(i + n - 2) % n] -= u[(i + n - 1) % n];
            row[(i + n - 1) % n] += u[(i + 1) % n] - u[(i + n - 2) % n];
            row[i] -= 1;
        }
    }

    /** Hipparchus forward mode: every state a {@link Gradient} variable, each row the gradient of du[i]. */
    public static void hipparchusJacobian(double[] u, double[][] j) {
        int n = u.length;
        Gradient[] x = new Gradient[n];
        for (int k = 0; k < n; k++) {
            x[k] = Gradient.variable(n, k, u[k]);
        }
        for (int i = 0; i < n; i++) {
            Gradient du = x[(i + 1) % n].subtract(x[(i + n - 2) % n]).multiply(x[(i + n - 1) % n]).subtract(x[i])
                    .add(FORCING);
            System.arraycopy(du.getGradient(), 0, j[i], 0, n);
        }
    }

    /** Central finite differences of {@link #rhs} (2n evaluations). */
    public static void finiteDifferenceJacobian(double[] u, double[][] j, double[] plus, double[] minus) {
        int n = u.length;
        for (int k = 0; k < n; k++) {
            double saved = u[k];
            double h = 1e-6 * Math.max(1, Math.abs(saved));
            u[k] = saved + h;
            rhs(u, plus);
            u[k] = saved - h;
            rhs(u, minus);
            u[k] = saved;
            for (int i = 0; i < n; i++) {
                j[i][k] = (plus[i] - minus[i]) / (2 * h);
            }
        }
    }
}
