package jenzyme.bench.workloads;

/**
 * A scalar composite of transcendental functions evaluated in a loop: a damped, forced recurrence in x whose
 * trajectory is summed through more transcendental functions. Three active scalars, no arrays.
 */
public final class TranscendentalLoop {

    public static final double STEP = 1e-3;

    private TranscendentalLoop() {
    }

    public static double composite(double a, double b, double c, int n) {
        double x = a, s = 0;
        for (int k = 0; k < n; k++) {
            double t = k * STEP;
            x = x + STEP * (Math.sin(b * x + t) - c * Math.tanh(x) + Math.cos(a * t) * Math.exp(-c * t));
            s += Math.log1p(x * x) + Math.sqrt(1 + b * b * t) * Math.atan(x);
        }
        return s;
    }
}
