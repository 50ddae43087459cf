package scientific;

/**
 * Integrators that keep their state in a record holding an array ({@code record State(double t, double[] y)},
 * {@code s = step(s, h)}), and matrix code written with matrix literals: a rotation matrix
 * {@code {{cos, -sin}, {sin, cos}}} composed in a loop, and linearly implicit Euler that builds its 2x2 matrix as a
 * literal each step ({@code J = newtonMatrix(y, ...)} of a matrix declared before the loop).
 */
public class States {

    private record State(double t, double[] y) {}

    private static double[] vanDerPol(double t, double[] y, double mu) {
        return new double[] {y[1], mu * (1 - y[0] * y[0]) * y[1] - y[0]};
    }

    /** Heun's method: a predictor, then the average of both slopes. */
    private static State heunStep(State s, double h, double mu) {
        double[] k1 = vanDerPol(s.t(), s.y(), mu);
        double[] predicted = new double[s.y().length];
        for (int i = 0; i < predicted.length; i++) predicted[i] = s.y()[i] + h * k1[i];
        double[] k2 = vanDerPol(s.t() + h, predicted, mu);
        double[] y = new double[s.y().length];
        for (int i = 0; i < y.length; i++) y[i] = s.y()[i] + h / 2 * (k1[i] + k2[i]);
        return new State(s.t() + h, y);
    }

    static double heunVanDerPol(double[] y0, double mu, double t1, int steps) {
        State s = new State(0, new double[] {y0[0], y0[1]});
        for (int i = 0; i < steps; i++) s = heunStep(s, t1 / steps, mu);
        return s.y()[0] * s.y()[0] + s.y()[1] + s.t();
    }

    private static double[][] rotation(double theta) {
        return new double[][] {{Math.cos(theta), -Math.sin(theta)}, {Math.sin(theta), Math.cos(theta)}};
    }

    private static double[][] times(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++)
            for (int j = 0; j < b[0].length; j++)
                for (int k = 0; k < b.length; k++) c[i][j] += a[i][k] * b[k][j];
        return c;
    }

    /** A rigid body turned by small rotations with damping: the accumulated matrix applied to a point. */
    static double composedRotation(double omega, double damping, double[] v, int steps) {
        double[][] m = {{1, 0}, {0, 1}};
        for (int i = 0; i < steps; i++) {
            double[][] r = rotation(omega / steps);
            double[][] d = {{1 - damping / steps, 0}, {0, 1 - damping / steps}};
            m = times(times(r, d), m);
        }
        return m[0][0] * v[0] + m[0][1] * v[1] + 2 * (m[1][0] * v[0] + m[1][1] * v[1]);
    }

    private static double[] brusselator(double[] y, double a, double b) {
        return new double[] {a - (b + 1) * y[0] + y[0] * y[0] * y[1], b * y[0] - y[0] * y[0] * y[1]};
    }

    /** I - h df/dy of the Brusselator at y. */
    private static double[][] newtonMatrix(double[] y, double a, double b, double h) {
        return new double[][] {
                {1 - h * (-(b + 1) + 2 * y[0] * y[1]), -h * y[0] * y[0]},
                {-h * (b - 2 * y[0] * y[1]), 1 + h * y[0] * y[0]}};
    }

    /**
     * Linearly implicit Euler: each step solves (I - h J) dy = h f(y) for the Jacobian J of this step, by Cramer's
     * rule.
     */
    static double implicitBrusselator(double a, double b, double[] y0, double t1, int steps) {
        double h = t1 / steps;
        double[] y = {y0[0], y0[1]};
        double[][] J = new double[2][2];
        for (int i = 0; i < steps; i++) {
            double[] f = brusselator(y, a, b);
            J = newtonMatrix(y, a, b, h);
            double det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
            double[] next = {y[0] + h * (f[0] * J[1][1] - f[1] * J[0][1]) / det,
                    y[1] + h * (J[0][0] * f[1] - J[1][0] * f[0]) / det};
            y = next;
        }
        return y[0] + 3 * y[1] + J[0][1];
    }
}
