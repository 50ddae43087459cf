package scientific;

/**
 * Integrators and iterations written with methods that return new arrays: a right-hand side
 * {@code double[] f(double t, double[] y)}, a step {@code double[] step(...)} and {@code y = step(y)} in the loop,
 * an adaptive step that keeps or drops its {@code ynew}, Newton steps returning the next iterate.
 */
public class Steppers {

    @FunctionalInterface
    interface Rhs { double[] f(double t, double[] y); }

    private static double[] lotkaVolterra(double[] p, double[] y) {
        return new double[] {p[0] * y[0] - p[1] * y[0] * y[1], p[3] * y[0] * y[1] - p[2] * y[1]};
    }

    private static double[] eulerStep(double[] p, double[] y, double h) {
        double[] dy = lotkaVolterra(p, y);
        double[] next = new double[y.length];
        for (int i = 0; i < y.length; i++) next[i] = y[i] + h * dy[i];
        return next;
    }

    static double eulerLotkaVolterra(double[] p, double t1, int steps) {
        double[] y = {p[4], p[5]};
        double h = 0.2 * t1 / steps;
        for (int i = 0; i < steps; i++) y = eulerStep(p, y, h);
        return y[0] + 2 * y[1];
    }

    private static double[] pendulum(double t, double[] y, double g) {
        return new double[] {y[1], -g * Math.sin(y[0]) - 0.1 * y[1]};
    }

    private static double[] plus(double[] y, double a, double[] k) {
        double[] out = y.clone();
        for (int i = 0; i < out.length; i++) out[i] += a * k[i];
        return out;
    }

    private static double[] rk4Step(double t, double[] y, double h, double g) {
        double[] k1 = pendulum(t, y, g);
        double[] k2 = pendulum(t + h / 2, plus(y, h / 2, k1), g);
        double[] k3 = pendulum(t + h / 2, plus(y, h / 2, k2), g);
        double[] k4 = pendulum(t + h, plus(y, h, k3), g);
        double[] out = new double[y.length];
        for (int i = 0; i < y.length; i++) out[i] = y[i] + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        return out;
    }

    static double rk4Pendulum(double theta0, double omega0, double g, double t1, int steps) {
        double[] y = {theta0, omega0};
        double h = t1 / steps;
        for (int i = 0; i < steps; i++) {
            double[] next = rk4Step(i * h, y, h, g);
            y = next;
        }
        return 0.5 * y[1] * y[1] - g * Math.cos(y[0]);
    }

    /** Bogacki–Shampine 3(2) with step-size control: a rejected ynew is dropped, an accepted one becomes y. */
    static double adaptiveOscillator(double[] p, double t1, int steps) {
        double[] y = {p[0], p[1]};
        double t = 0, h = t1 / 10, tol = 1e-6;
        for (int i = 0; i < steps && t < t1; i++) {
            h = Math.min(h, t1 - t);
            double[] k1 = oscillator(y, p);
            double[] k2 = oscillator(plus(y, 0.5 * h, k1), p);
            double[] k3 = oscillator(plus(y, 0.75 * h, k2), p);
            double[] ynew = new double[2];
            for (int j = 0; j < 2; j++) ynew[j] = y[j] + h * (2 * k1[j] + 3 * k2[j] + 4 * k3[j]) / 9;
            double[] k4 = oscillator(ynew, p);
            double err = 0;
            for (int j = 0; j < 2; j++) {
                double z = y[j] + h * (7 * k1[j] / 24 + k2[j] / 4 + k3[j] / 3 + k4[j] / 8);
                err = Math.max(err, Math.abs(z - ynew[j]));
            }
            if (err <= tol) {
                t += h;
                y = ynew;
            }
            h *= Math.min(2, Math.max(0.2, 0.9 * Math.cbrt(tol / Math.max(err, 1e-300))));
        }
        return y[0] * y[0] + y[1] * y[1] + t;
    }

    private static double[] oscillator(double[] y, double[] p) {
        return new double[] {y[1], -p[2] * y[0] - 0.2 * p[3] * y[1]};
    }

    private static double[] sir(double[] y, double beta, double gamma) {
        double infection = beta * y[0] * y[1];
        return new double[] {-infection, infection - gamma * y[1], gamma * y[1]};
    }

    static double heunSir(double beta, double gamma, double t1, int steps) {
        double[] y = {0.99, 0.01, 0};
        double h = 4 * t1 / steps;
        for (int i = 0; i < steps; i++) {
            double[] k1 = sir(y, beta, gamma);
            double[] predicted = plus(y, h, k1);
            double[] k2 = sir(predicted, beta, gamma);
            double[] corrected = new double[3];
            for (int j = 0; j < 3; j++) corrected[j] = y[j] + h / 2 * (k1[j] + k2[j]);
            y = corrected;
        }
        return y[2];
    }

    private static double[] solve(Rhs f, double[] y0, double t1, int steps) {
        double[] y = y0.clone();
        double h = t1 / steps;
        for (int i = 0; i < steps; i++) {
            double t = i * h;
            double[] k1 = f.f(t, y);
            double[] k2 = f.f(t + h / 2, plus(y, h / 2, k1));
            double[] k3 = f.f(t + h / 2, plus(y, h / 2, k2));
            double[] k4 = f.f(t + h, plus(y, h, k3));
            for (int j = 0; j < y.length; j++) y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
        }
        return y;
    }

    /** The everyday pattern: a solver taking the right-hand side, its result used by a scalar loss. */
    static double lotkaVolterraLoss(double[] p, double t1, int steps) {
        double[] y = solve((t, u) -> lotkaVolterra(p, u), new double[] {p[4], p[5]}, 0.2 * t1, steps);
        return (y[0] - 1) * (y[0] - 1) + (y[1] - 0.5) * (y[1] - 0.5);
    }

    private static double[] decay(double t, double[] y) {
        return new double[] {-0.5 * y[0], 0.5 * y[0] - 0.2 * y[1]};
    }

    static double decayChain(double a, double b, double t1, int steps) {
        double[] y = solve(Steppers::decay, new double[] {a, b}, t1, steps);
        return y[0] * y[1];
    }

    /** Newton for x^2 + y^2 = r^2, y = a x^3: each step returns the next iterate. */
    private static double[] newtonStep(double[] x, double r, double a) {
        double f0 = x[0] * x[0] + x[1] * x[1] - r * r, f1 = x[1] - a * x[0] * x[0] * x[0];
        double j00 = 2 * x[0], j01 = 2 * x[1], j10 = -3 * a * x[0] * x[0], j11 = 1;
        double det = j00 * j11 - j01 * j10;
        return new double[] {x[0] - (j11 * f0 - j01 * f1) / det, x[1] - (j00 * f1 - j10 * f0) / det};
    }

    static double newtonIntersection(double r, double a, int steps) {
        double[] x = {r, r};
        for (int i = 0; i < 20 && i < steps; i++) x = newtonStep(x, r, a);
        return x[0] + 3 * x[1];
    }

    private static double[] heatStep(double[] u, double ratio) {
        int n = u.length;
        double[] next = new double[n];
        for (int i = 0; i < n; i++) {
            double left = i > 0 ? u[i - 1] : 0, right = i < n - 1 ? u[i + 1] : 0;
            next[i] = u[i] + ratio * (left - 2 * u[i] + right);
        }
        return next;
    }

    static double heatEquationEnergy(double[] u0, double kappa, int steps) {
        double[] u = u0;
        double ratio = 0.2 * kappa;
        for (int s = 0; s < steps; s++) u = heatStep(u, ratio);
        double e = 0;
        for (double v : u) e += v * v;
        return e;
    }

    private static double[] gradient(double[] x, double[] a) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) g[i] = a[i] * (x[i] - 1) + 0.1 * Math.sin(x[i]);
        return g;
    }

    static double gradientDescentEnd(double[] a, int steps) {
        double[] x = new double[a.length];
        for (int k = 0; k < steps; k++) {
            double[] g = gradient(x, a);
            double[] moved = plus(x, -0.3, g);
            x = moved;
        }
        double s = 0;
        for (double v : x) s += v;
        return s;
    }

    private static int[] signs(double[] x, double pivot) {
        int[] s = new int[x.length];
        for (int i = 0; i < x.length; i++) s[i] = x[i] > pivot ? 1 : -1;
        return s;
    }

    private static long[] cumulative(int[] s) {
        long[] c = new long[s.length];
        long sum = 0;
        for (int i = 0; i < s.length; i++) c[i] = sum += s[i];
        return c;
    }

    /** Halving weights 1, 0.5, 0.25, ... (exact in float). */
    private static float[] halvingWeights(int n) {
        float[] w = new float[n];
        w[0] = 1;
        for (int i = 1; i < n; i++) w[i] = w[i - 1] / 2;
        return w;
    }

    static double signedWeightedSum(double[] x, double pivot) {
        long[] c = cumulative(signs(x, pivot));
        float[] w = halvingWeights(x.length);
        double s = 0;
        for (int i = 0; i < x.length; i++) s += c[i] * w[i] * x[i];
        return s;
    }

    private static double[] leapfrogAcceleration(double[] q) {
        double r = Math.hypot(q[0], q[1]);
        return new double[] {-q[0] / (r * r * r), -q[1] / (r * r * r)};
    }

    static double leapfrogOrbit(double[] q, double t1, int steps) {
        double[] x = {q[0] + 0.5, q[1] - 0.5};
        double[] v = {q[2] - 1, q[3]};
        double h = 0.2 * t1 / steps;
        double[] a = leapfrogAcceleration(x);
        for (int i = 0; i < steps; i++) {
            double[] half = plus(v, h / 2, a);
            x = plus(x, h, half);
            a = leapfrogAcceleration(x);
            v = plus(half, h / 2, a);
        }
        return 0.5 * (v[0] * v[0] + v[1] * v[1]) - 1 / Math.hypot(x[0], x[1]);
    }
}
