package jenzyme.bench.workloads;

/** The extended Rosenbrock function: a loop over one {@code double[]}, memory-bound at n = 10^6. */
public final class Rosenbrock {

    private Rosenbrock() {
    }

    public static double rosenbrock(double[] x) {
        double s = 0;
        for (int i = 0; i + 1 < x.length; i++) {
            double u = x[i + 1] - x[i] * x[i];
            double v = 1 - x[i];
            s += 100 * u * u + v * v;
        }
        return s;
    }
}
