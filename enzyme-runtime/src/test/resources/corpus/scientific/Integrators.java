package scientific;

/** Textbook ODE integrators, written the way a course or a paper's supplement writes them. */
public class Integrators {

    // Dormand–Prince 5(4) tableau (only the weights are used below).
    static final double[] DP_B5 = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0};
    static final double[] DP_B4 = {5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200,
            187.0 / 2100, 1.0 / 40};
    static final double[] DP_C = {0, 0.2, 0.3, 0.8, 8.0 / 9, 1, 1};

    static double eulerDecay(double y0, double k, double t1, int steps) {
        double h = t1 / steps;
        double y = y0;
        for (int i = 0; i < steps; i++) {
            y += h * (-k * y);
        }
        return y;
    }

    static double rk4Decay(double y0, double k, double t1, int steps) {
        double h = t1 / steps, y = y0;
        for (int i = 0; i < steps; i++) {
            double k1 = -k * y;
            double k2 = -k * (y + 0.5 * h * k1);
            double k3 = -k * (y + 0.5 * h * k2);
            double k4 = -k * (y + h * k3);
            y += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
        }
        return y;
    }

    private static void oscillator(double[] p, double[] s, double[] ds) {
        ds[0] = s[1];
        ds[1] = -p[0] * p[0] * s[0] - 2 * p[1] * s[1];
    }

    static double rk4Oscillator(double[] p, double t1, int steps) {
        double h = t1 / steps;
        double[] s = {p[2], p[3]};
        double[] k1 = new double[2], k2 = new double[2], k3 = new double[2], k4 = new double[2], tmp = new double[2];
        for (int i = 0; i < steps; i++) {
            oscillator(p, s, k1);
            for (int j = 0; j < 2; j++) tmp[j] = s[j] + 0.5 * h * k1[j];
            oscillator(p, tmp, k2);
            for (int j = 0; j < 2; j++) tmp[j] = s[j] + 0.5 * h * k2[j];
            oscillator(p, tmp, k3);
            for (int j = 0; j < 2; j++) tmp[j] = s[j] + h * k3[j];
            oscillator(p, tmp, k4);
            for (int j = 0; j < 2; j++) s[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
        }
        return s[0] * s[0] + s[1] * s[1];
    }

    private static double[] lotkaVolterra(double[] p, double[] y) {
        return new double[] {p[0] * y[0] - p[1] * y[0] * y[1], p[2] * y[0] * y[1] - p[3] * y[1]};
    }

    /** The idiomatic RK4 with the stages allocated per step (and a method returning double[]). */
    static double rk4LotkaVolterra(double[] p, double t1, int steps) {
        double h = t1 / steps;
        double[] y = {p[4], p[5]};
        for (int i = 0; i < steps; i++) {
            double[] k1 = lotkaVolterra(p, y);
            double[] y2 = {y[0] + 0.5 * h * k1[0], y[1] + 0.5 * h * k1[1]};
            double[] k2 = lotkaVolterra(p, y2);
            double[] y3 = {y[0] + 0.5 * h * k2[0], y[1] + 0.5 * h * k2[1]};
            double[] k3 = lotkaVolterra(p, y3);
            double[] y4 = {y[0] + h * k3[0], y[1] + h * k3[1]};
            double[] k4 = lotkaVolterra(p, y4);
            for (int j = 0; j < 2; j++) y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
        }
        return y[0] + y[1];
    }

    static double velocityVerletPendulum(double theta0, double omega0, double g, double t1, int steps) {
        double h = t1 / steps, theta = theta0, omega = omega0;
        double a = -g * Math.sin(theta);
        for (int i = 0; i < steps; i++) {
            theta += h * omega + 0.5 * h * h * a;
            double aNext = -g * Math.sin(theta);
            omega += 0.5 * h * (a + aNext);
            a = aNext;
        }
        return 0.5 * omega * omega - g * Math.cos(theta);
    }

    static double symplecticEulerKepler(double[] q, double t1, int steps) {
        double h = t1 / steps;
        double x = q[0] + 0.5, y = q[1] - 0.5, vx = q[2] - 1, vy = q[3];
        for (int i = 0; i < steps; i++) {
            double r = Math.sqrt(x * x + y * y);
            double r3 = r * r * r;
            vx -= h * x / r3;
            vy -= h * y / r3;
            x += h * vx;
            y += h * vy;
        }
        return 0.5 * (vx * vx + vy * vy) - 1 / Math.hypot(x, y);
    }

    /** One Dormand–Prince step of y' = -k y (stages written out), returning the step plus its error estimate. */
    static double rk45StepWithError(double y, double h, double k) {
        double[] stages = new double[7];
        for (int s = 0; s < 7; s++) {
            stages[s] = -k * y * Math.exp(-k * DP_C[s] * h);
        }
        double y5 = y, y4 = y;
        for (int s = 0; s < 7; s++) {
            y5 += h * DP_B5[s] * stages[s];
            y4 += h * DP_B4[s] * stages[s];
        }
        return y5 + Math.abs(y5 - y4);
    }

    static double trapezoidGaussian(double a, double b, int n) {
        double h = (b - a) / n;
        double s = 0.5 * (Math.exp(-a * a) + Math.exp(-b * b));
        for (int i = 1; i < n; i++) {
            double x = a + i * h;
            s += Math.exp(-x * x);
        }
        return s * h;
    }

    static double simpsonPolynomial(double[] c, int n) {
        if (n % 2 != 0) throw new IllegalArgumentException("Simpson's rule needs an even number of intervals");
        double h = 1.0 / n, s = 0;
        for (int i = 0; i <= n; i++) {
            double x = i * h, p = 0;
            for (int j = c.length - 1; j >= 0; j--) p = p * x + c[j];
            double w = i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2;
            s += w * p;
        }
        return s * h / 3;
    }

    static double heunLogistic(double r, double capacity, double y0, double t1, int steps) {
        double h = t1 / steps, y = y0;
        for (int i = 0; i < steps; i++) {
            double f = r * y * (1 - y / capacity);
            double yPredict = y + h * f;
            double fPredict = r * yPredict * (1 - yPredict / capacity);
            y += 0.5 * h * (f + fPredict);
        }
        return y;
    }

    static double implicitEulerCubic(double y0, double k, double t1, int steps) {
        double h = t1 / steps, y = y0;
        for (int i = 0; i < steps; i++) {
            double z = y;
            for (int it = 0; it < 6; it++) { // Newton on z - y + h k z^3 = 0
                double g = z - y + h * k * z * z * z;
                double dg = 1 + 3 * h * k * z * z;
                z -= g / dg;
            }
            y = z;
        }
        return y;
    }
}
