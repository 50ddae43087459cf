package scientific;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;

/** Lambdas, method references and streams, the way modern scientific Java passes functions and sums arrays. */
public class Functional {

    @FunctionalInterface
    interface Field { void eval(double t, double[] y, double[] p, double[] dy); }

    private static void predatorPrey(double t, double[] y, double[] p, double[] dy) {
        dy[0] = p[0] * y[0] - p[1] * y[0] * y[1];
        dy[1] = p[3] * y[0] * y[1] - p[2] * y[1];
    }

    private static void rk4(Field f, double[] y, double[] p, double t1, int steps) {
        int n = y.length;
        double h = t1 / steps;
        double[] k1 = new double[n], k2 = new double[n], k3 = new double[n], k4 = new double[n], tmp = new double[n];
        for (int s = 0; s < steps; s++) {
            double t = s * h;
            f.eval(t, y, p, k1);
            for (int i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k1[i];
            f.eval(t + 0.5 * h, tmp, p, k2);
            for (int i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k2[i];
            f.eval(t + 0.5 * h, tmp, p, k3);
            for (int i = 0; i < n; i++) tmp[i] = y[i] + h * k3[i];
            f.eval(t + h, tmp, p, k4);
            for (int i = 0; i < n; i++) y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        }
    }

    @FunctionalInterface
    interface Stiff { void eval(double[] z, double[] p, double[] f, double[][] dfdz); }

    /** Backward Euler, each step by Newton's method on I - h df/dz: the right-hand side gives f and its Jacobian. */
    private static double[] backwardEuler(Stiff rhs, double[] y0, double[] p, double h, int steps) {
        double[] y = y0.clone();
        for (int s = 0; s < steps; s++) {
            double[] z = y.clone();
            for (int k = 0; k < 4; k++) {
                double[] f = new double[2];
                double[][] dfdz = new double[2][2];
                rhs.eval(z, p, f, dfdz);
                double[][] m = {{1 - h * dfdz[0][0], -h * dfdz[0][1]}, {-h * dfdz[1][0], 1 - h * dfdz[1][1]}};
                double g0 = z[0] - y[0] - h * f[0], g1 = z[1] - y[1] - h * f[1];
                double det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
                z[0] -= (g0 * m[1][1] - m[0][1] * g1) / det;
                z[1] -= (m[0][0] * g1 - m[1][0] * g0) / det;
            }
            y = z;
        }
        return y;
    }

    /** A stiff two-species decay, the fast rate captured by the lambda. */
    static double stiffDecayEnd(double[] p, double rate, int steps) {
        double[] y = backwardEuler((z, q, f, dfdz) -> {
            f[0] = -10 * rate * z[0] + q[0] * z[1] * z[1];
            f[1] = -q[1] * z[1];
            dfdz[0][0] = -10 * rate;
            dfdz[0][1] = 2 * q[0] * z[1];
            dfdz[1][1] = -q[1];
        }, new double[] {p[2], p[3]}, p, 0.05, steps);
        return y[0] + y[1];
    }

    static double predatorPreyEnd(double[] p, double t1, int steps) {
        double[] y = {p[4], p[5]};
        rk4(Functional::predatorPrey, y, p, 0.2 * t1, steps);
        return y[0] + y[1];
    }

    static double dampedOscillatorEnd(double[] p, double damping, int steps) {
        double[] y = {p[0], p[1]};
        rk4((t, u, q, du) -> { du[0] = u[1]; du[1] = -q[2] * u[0] - damping * u[1]; }, y, p, 1.0, steps);
        return y[0] * y[0] + y[1] * y[1];
    }

    private static double simpson(DoubleUnaryOperator f, double a, double b, int n) {
        double h = (b - a) / n, s = f.applyAsDouble(a) + f.applyAsDouble(b);
        for (int i = 1; i < n; i++) s += (i % 2 == 0 ? 2 : 4) * f.applyAsDouble(a + i * h);
        return s * h / 3;
    }

    static double gaussianMass(double mu, double sigma, int steps) {
        return simpson(x -> Math.exp(-0.5 * (x - mu) * (x - mu) / (sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI)),
                mu - 3 * sigma, mu + 3 * sigma, steps);
    }

    static double sineIntegral(double x, int steps) {
        return simpson(Math::sin, 0, x, steps);
    }

    static double sumOfSquares(double[] x) {
        return Arrays.stream(x).map(v -> v * v).sum();
    }

    static double logSumExp(double[] x) {
        double m = Arrays.stream(x).max().getAsDouble();
        return m + Math.log(Arrays.stream(x).map(v -> Math.exp(v - m)).sum());
    }

    static double weightedResidual(double[] x, double[] w) {
        return IntStream.range(0, x.length).mapToDouble(i -> w[i] * (x[i] - 1) * (x[i] - 1)).sum();
    }

    static double geometricMean(double[] x) {
        return Math.exp(Arrays.stream(x).map(Math::log).average().orElse(0));
    }

    static double smoothMax(double[] x, double beta) {
        DoubleBinaryOperator soft = (a, b) -> Math.log(Math.exp(beta * a) + Math.exp(beta * b)) / beta;
        return Arrays.stream(x).reduce(soft).getAsDouble();
    }
}
