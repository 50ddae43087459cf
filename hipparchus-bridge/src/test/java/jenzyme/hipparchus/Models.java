package jenzyme.hipparchus;

/** The models the bridge's tests differentiate: plain static methods, compiled by Maven like a program's. */
final class Models {

    private Models() {}

    static double rosenbrock(double[] x) {
        double s = 0;
        for (int i = 0; i + 1 < x.length; i++) {
            double u = x[i + 1] - x[i] * x[i], v = 1 - x[i];
            s += 100 * u * u + v * v;
        }
        return s;
    }

    /** Lotka–Volterra, p = (α, β, δ, γ): prey′ = α prey − β prey pred, pred′ = δ prey pred − γ pred. */
    static void rates(double[] y, double[] p, double[] yDot) {
        yDot[0] = p[0] * y[0] - p[1] * y[0] * y[1];
        yDot[1] = p[2] * y[0] * y[1] - p[3] * y[1];
    }

    /** The right-hand side as Hipparchus sees it (t unused: an autonomous system). */
    static double[] lotkaVolterra(double t, double[] y, double[] p) {
        double[] yDot = new double[2];
        rates(y, p, yDot);
        return yDot;
    }

    /** Component {@code component} of y(T) by {@code steps} RK4 steps from y0: what reverse mode differentiates. */
    static double lotkaVolterraState(double[] p, double[] y0, double T, int steps, int component) {
        double[] y = y0.clone(), k1 = new double[2], k2 = new double[2], k3 = new double[2], k4 = new double[2];
        double[] stage = new double[2];
        double h = T / steps;
        for (int s = 0; s < steps; s++) {
            rates(y, p, k1);
            for (int i = 0; i < 2; i++) stage[i] = y[i] + 0.5 * h * k1[i];
            rates(stage, p, k2);
            for (int i = 0; i < 2; i++) stage[i] = y[i] + 0.5 * h * k2[i];
            rates(stage, p, k3);
            for (int i = 0; i < 2; i++) stage[i] = y[i] + h * k3[i];
            rates(stage, p, k4);
            for (int i = 0; i < 2; i++) y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        }
        return y[component];
    }

    /**
     * Michaelis–Menten substrate depletion S′ = −Vmax S / (Km + S), q = (Vmax, Km), from S(0) = s0: S at each of
     * {@code times} (increasing) minus {@code data}, by RK4 steps of at most {@code h}.
     */
    static double[] substrateResiduals(double[] q, double[] times, double[] data, double s0, double h) {
        double[] r = new double[times.length];
        double s = s0, t = 0;
        for (int k = 0; k < times.length; k++) {
            int steps = (int) Math.ceil((times[k] - t) / h);
            double dt = (times[k] - t) / steps;
            for (int i = 0; i < steps; i++) {
                double k1 = depletion(s, q);
                double k2 = depletion(s + 0.5 * dt * k1, q);
                double k3 = depletion(s + 0.5 * dt * k2, q);
                double k4 = depletion(s + dt * k3, q);
                s += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
            }
            t = times[k];
            r[k] = s - data[k];
        }
        return r;
    }

    static double depletion(double s, double[] q) {
        return -q[0] * s / (q[1] + s);
    }
}
