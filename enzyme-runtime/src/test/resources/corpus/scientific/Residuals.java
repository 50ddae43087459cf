package scientific;

/** Finite-difference and finite-element residuals and small explicit solvers. */
public class Residuals {

    static double poissonResidualNorm(double[] u, double h) {
        double norm = 0;
        for (int i = 1; i + 1 < u.length; i++) {
            double r = -(u[i - 1] - 2 * u[i] + u[i + 1]) / (h * h) - 1;
            norm += r * r;
        }
        return Math.sqrt(norm);
    }

    static double heatExplicit(double[] u0, double alpha, int steps) {
        double[] u = u0.clone();
        double[] next = new double[u.length];
        double r = 0.2 * alpha;
        for (int s = 0; s < steps; s++) {
            next[0] = u[0];
            next[u.length - 1] = u[u.length - 1];
            for (int i = 1; i + 1 < u.length; i++) next[i] = u[i] + r * (u[i - 1] - 2 * u[i] + u[i + 1]);
            System.arraycopy(next, 0, u, 0, u.length);
        }
        double e = 0;
        for (double v : u) e += v * v;
        return e;
    }

    static double burgersEnergy(double[] u0, double nu, int steps) {
        double[] u = java.util.Arrays.copyOf(u0, u0.length);
        double[] flux = new double[u.length];
        double dt = 0.01, dx = 0.5;
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < u.length; i++) flux[i] = 0.5 * u[i] * u[i];
            for (int i = 1; i + 1 < u.length; i++) {
                u[i] = u[i] - dt / dx * (flux[i] - flux[i - 1]) + nu * dt / (dx * dx) * (u[i + 1] - 2 * u[i] + u[i - 1]);
            }
        }
        double e = 0;
        for (double v : u) e += 0.5 * v * v;
        return e;
    }

    static double femStiffnessEnergy(double[] u, double[] k) {
        double e = 0;
        double h = 1.0 / (u.length - 1);
        for (int el = 0; el + 1 < u.length; el++) {
            double grad = (u[el + 1] - u[el]) / h;
            e += 0.5 * k[el] * grad * grad * h;
        }
        return e;
    }

    static double laplacian2dResidual(double[][] u) {
        double r = 0;
        for (int i = 1; i + 1 < u.length; i++)
            for (int j = 1; j + 1 < u[i].length; j++) {
                double lap = u[i - 1][j] + u[i + 1][j] + u[i][j - 1] + u[i][j + 1] - 4 * u[i][j];
                r += lap * lap;
            }
        return r;
    }

    static double upwindAdvection(double[] u0, double c, int steps) {
        double[] u = java.util.Arrays.copyOfRange(u0, 0, u0.length);
        double cfl = 0.4 * c;
        for (int s = 0; s < steps; s++) {
            for (int i = u.length - 1; i > 0; i--) u[i] -= cfl * (u[i] - u[i - 1]);
        }
        double mass = 0;
        for (double v : u) mass += v * v;
        return mass;
    }

    static double gaussSeidelTridiagonal(double[] b, int steps) {
        int n = b.length;
        double[] x = new double[n];
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < n; i++) {
                double left = i > 0 ? x[i - 1] : 0, right = i + 1 < n ? x[i + 1] : 0;
                x[i] = (b[i] + left + right) / 4;
            }
        }
        double s = 0;
        for (double v : x) s += v;
        return s;
    }

    static double thomasSolveSum(double[] d) {
        int n = d.length;
        double[] c = new double[n], r = new double[n], x = new double[n];
        double a = -1, b = 4, up = -1;
        c[0] = up / b;
        r[0] = d[0] / b;
        for (int i = 1; i < n; i++) {
            double m = b - a * c[i - 1];
            c[i] = up / m;
            r[i] = (d[i] - a * r[i - 1]) / m;
        }
        x[n - 1] = r[n - 1];
        for (int i = n - 2; i >= 0; i--) x[i] = r[i] - c[i] * x[i + 1];
        double s = 0;
        for (int i = 0; i < n; i++) s += (i + 1) * x[i];
        return s;
    }

    static void centralDifferences(double[] f, double h, double[] df) {
        for (int i = 1; i + 1 < f.length; i++) df[i] = (f[i + 1] - f[i - 1]) / (2 * h);
        df[0] = (f[1] - f[0]) / h;
        df[f.length - 1] = (f[f.length - 1] - f[f.length - 2]) / h;
    }

    static double totalVariation(double[] u, double eps) {
        double tv = 0;
        for (int i = 0; i + 1 < u.length; i++) {
            double d = u[i + 1] - u[i];
            tv += Math.sqrt(d * d + eps * eps);
        }
        return tv;
    }
}
