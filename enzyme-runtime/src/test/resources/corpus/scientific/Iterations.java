package scientific;

import java.util.Arrays;

/**
 * Iterations that keep the newest array in a variable: {@code x = g(x)} to a fixed point, {@code y = ynew.clone()},
 * {@code Arrays.copyOf} of a trial step, Jacobi sweeps inside time steps, and a for-each over the result.
 */
public class Iterations {

    private static double[] contraction(double[] x, double[] b) {
        double[] next = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double left = i > 0 ? x[i - 1] : 0, right = i < x.length - 1 ? x[i + 1] : 0;
            next[i] = 0.25 * (left + right) + 0.5 * Math.tanh(b[i]);
        }
        return next;
    }

    /** Fixed point of x = g(x), stopped when the update is small; the result summed with a for-each. */
    static double fixedPoint(double[] b) {
        double[] x = new double[b.length];
        for (int k = 0; k < 200; k++) {
            double[] next = contraction(x, b);
            double change = 0;
            for (int i = 0; i < x.length; i++) change = Math.max(change, Math.abs(next[i] - x[i]));
            x = next;
            if (change < 1e-12) break;
        }
        double s = 0;
        for (double v : x) s += v * v;
        return s;
    }

    /** Midpoint steps whose accepted state is a clone of the trial array. */
    static double midpointClone(double a, double b, double t1, int steps) {
        double[] y = {a, b};
        double h = t1 / steps;
        for (int i = 0; i < steps; i++) {
            double[] mid = {y[0] + h / 2 * y[1], y[1] - h / 2 * Math.sin(y[0])};
            double[] trial = {y[0] + h * mid[1], y[1] - h * Math.sin(mid[0])};
            y = trial.clone();
        }
        return y[0] * y[0] + y[1];
    }

    /** Damped Newton on sum (x_i^2 - c_i)^2: a trial step is kept as a copy only when it lowers the residual. */
    static double dampedNewton(double[] c) {
        double[] x = Arrays.copyOf(c, c.length);
        for (int i = 0; i < x.length; i++) x[i] = 1 + 0.5 * x[i];
        double step = 1;
        for (int k = 0; k < 30; k++) {
            double[] trial = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                trial[i] = x[i] - step * (x[i] * x[i] - c[i]) / (2 * x[i]);
            }
            if (residual(trial, c) < residual(x, c)) {
                x = Arrays.copyOf(trial, trial.length);
            } else {
                step /= 2;
            }
        }
        return x[0] + 2 * x[x.length - 1];
    }

    private static double residual(double[] x, double[] c) {
        double r = 0;
        for (int i = 0; i < x.length; i++) r += (x[i] * x[i] - c[i]) * (x[i] * x[i] - c[i]);
        return r;
    }

    /** One Jacobi sweep for (1 + 2 tau) v_i - tau (v_{i-1} + v_{i+1}) = u_i + tau f_i, from the guess v. */
    private static double[] jacobiSweep(double[] v, double[] u, double[] f, double tau) {
        double[] next = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double left = i > 0 ? v[i - 1] : 0, right = i < v.length - 1 ? v[i + 1] : 0;
            next[i] = (u[i] + tau * (left + right + f[i])) / (1 + 2 * tau);
        }
        return next;
    }

    /** Implicit heat steps, each solved by a few Jacobi sweeps that start from the previous step. */
    static double implicitHeat(double[] f, double tau, int steps) {
        double[] u = new double[f.length];
        for (int s = 0; s < steps; s++) {
            double[] guess = u.clone();
            for (int sweep = 0; sweep < 4; sweep++) guess = jacobiSweep(guess, u, f, 0.1 * tau);
            u = guess;
        }
        double e = 0;
        for (double v : u) e += v;
        return e;
    }

    /**
     * Backward Euler for a damped pendulum, theta'' = -a sin(theta) - 0.3 theta', with step h: each step solves the
     * implicit equations by Newton's method, its 2x2 Jacobian built afresh in every iteration, until the update is tiny.
     */
    static double implicitPendulum(double theta0, double omega0, double a, double h, int steps) {
        double c = 0.3;
        double[] y = {theta0, omega0};
        for (int s = 0; s < steps; s++) {
            double[] z = y.clone();
            for (int k = 0; k < 20; k++) {
                double[] g = {z[0] - y[0] - h * z[1], z[1] - y[1] + h * (a * Math.sin(z[0]) + c * z[1])};
                double[][] jac = {{1, -h}, {h * a * Math.cos(z[0]), 1 + h * c}};
                double det = jac[0][0] * jac[1][1] - jac[0][1] * jac[1][0];
                double d0 = (g[0] * jac[1][1] - jac[0][1] * g[1]) / det;
                double d1 = (jac[0][0] * g[1] - jac[1][0] * g[0]) / det;
                z[0] -= d0;
                z[1] -= d1;
                if (Math.abs(d0) + Math.abs(d1) < 1e-13) break;
            }
            y = z;
        }
        return 0.5 * y[1] * y[1] + a * (1 - Math.cos(y[0]));
    }

    /**
     * The same pendulum by the chord method (simplified Newton): the fixed step's matrix {{1, -h}, {0, 1}} stands for
     * the Jacobian in every iteration, a literal rebuilt each time that holds no value of the inputs.
     */
    static double chordPendulum(double theta0, double omega0, double a, int steps) {
        double h = 0.02, c = 0.3;
        double[] y = {theta0, omega0};
        for (int s = 0; s < steps; s++) {
            double[] z = y.clone();
            for (int k = 0; k < 8; k++) {
                double[][] m = {{1, -h}, {0, 1}};
                double g0 = z[0] - y[0] - h * z[1], g1 = z[1] - y[1] + h * (a * Math.sin(z[0]) + c * z[1]);
                z[0] -= (g0 * m[1][1] - m[0][1] * g1) / (m[0][0] * m[1][1] - m[0][1] * m[1][0]);
                z[1] -= g1 / m[1][1];
            }
            y = z;
        }
        return 0.5 * y[1] * y[1] + a * (1 - Math.cos(y[0]));
    }
}
