package jenzyme.spark;

import jenzyme.runtime.api.Gradient;

/**
 * Limited-memory BFGS (Nocedal's two-loop recursion) with an Armijo backtracking line search from t = 1, calling a
 * compiled {@link Gradient} for every value and gradient — the fitter that runs on executors, so it must be plain
 * code of this jar (a notebook's own optimiser is a notebook class, which executors do not have). Deterministic:
 * the same task gives bit-identical results on an executor and in the driver. A pair (s, y) is kept only when
 * s·y > 0, which keeps the implicit inverse Hessian positive definite (as notebook 02 explains).
 */
public final class Lbfgs {

    private Lbfgs() {}

    /** Minimises {@code loss(p, task.constants()...)} from {@code task.start()}. */
    public static FitResult minimise(Gradient loss, FitTask task, FitOptions options, String executor) {
        int n = task.start().length, m = options.memory();
        Object[] constants = task.constants();
        double[] x = task.start().clone(), g = new double[n], xNew = new double[n], gNew = new double[n];
        double[] d = new double[n], rho = new double[m], alpha = new double[m];
        double[][] s = new double[m][], y = new double[m][];
        int stored = 0, newest = -1, evaluations = 1, iteration = 0;
        double fx = loss.valueAndGradient(x, g, constants);
        double tolerance = options.relativeTolerance() * norm(g);
        for (; iteration < options.maxIterations() && norm(g) > tolerance; iteration++) {
            for (int i = 0; i < n; i++) d[i] = -g[i];
            for (int k = 0; k < stored; k++) {
                int j = Math.floorMod(newest - k, m);
                alpha[j] = rho[j] * dot(s[j], d);
                for (int i = 0; i < n; i++) d[i] -= alpha[j] * y[j][i];
            }
            double scale = stored > 0 ? dot(s[newest], y[newest]) / dot(y[newest], y[newest]) : 1 / norm(g);
            for (int i = 0; i < n; i++) d[i] *= scale;
            for (int k = stored - 1; k >= 0; k--) {
                int j = Math.floorMod(newest - k, m);
                double beta = rho[j] * dot(y[j], d);
                for (int i = 0; i < n; i++) d[i] += (alpha[j] - beta) * s[j][i];
            }
            double slope = dot(g, d), t = 1, fNew;
            do {
                for (int i = 0; i < n; i++) xNew[i] = x[i] + t * d[i];
                fNew = loss.valueAndGradient(xNew, gNew, constants);
                evaluations++;
                if (fNew <= fx + 1e-4 * t * slope) break;
                t *= 0.5;
            } while (t > 1e-20);
            if (t <= 1e-20) break;
            double[] sk = new double[n], yk = new double[n];
            for (int i = 0; i < n; i++) {
                sk[i] = xNew[i] - x[i];
                yk[i] = gNew[i] - g[i];
            }
            double sy = dot(sk, yk);
            if (sy > 1e-12 * norm(sk) * norm(yk)) {
                newest = (newest + 1) % m;
                s[newest] = sk;
                y[newest] = yk;
                rho[newest] = 1 / sy;
                stored = Math.min(stored + 1, m);
            }
            System.arraycopy(xNew, 0, x, 0, n);
            System.arraycopy(gNew, 0, g, 0, n);
            fx = fNew;
        }
        return new FitResult(task.id(), x, fx, norm(g), iteration, evaluations, executor);
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static double norm(double[] v) {
        return Math.sqrt(dot(v, v));
    }
}
