package fit;

import java.util.Random;
import jenzyme.runtime.api.Gradient;
import jenzyme.runtime.api.JEnzyme;

/**
 * Recovers the amplitude and rate of y = a·exp(-k·t) from noisy samples by minimising the least-squares loss with
 * gradient descent (Armijo backtracking), the gradient compiled by JEnzyme from {@link #loss}. Prints the fit and
 * exits with status 1 unless it is within tolerance of the truth.
 */
public final class FitDecay {

    static final double TRUE_A = 2.5, TRUE_K = 0.7, NOISE = 0.01;

    /** Sum of squared residuals of a·exp(-k·t) against y; p = {a, k}. Plain Java: JEnzyme differentiates it. */
    static double loss(double[] p, double[] t, double[] y) {
        double s = 0;
        for (int i = 0; i < t.length; i++) {
            double r = p[0] * Math.exp(-p[1] * t[i]) - y[i];
            s += r * r;
        }
        return s;
    }

    public static void main(String[] args) {
        Random random = new Random(42);
        int n = 60;
        double[] t = new double[n], y = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = 5.0 * i / (n - 1);
            y[i] = TRUE_A * Math.exp(-TRUE_K * t[i]) + NOISE * random.nextGaussian();
        }
        try (JEnzyme ad = JEnzyme.create()) {
            Gradient gradient = ad.reverse(FitDecay.class, "loss", "t", "y");
            double[] p = {1.0, 0.1};
            int iterations = descend(gradient, p, t, y);
            System.out.printf("fitted a = %.4f (true %.1f), k = %.4f (true %.1f) in %d iterations, loss %.3g%n",
                    p[0], TRUE_A, p[1], TRUE_K, iterations, loss(p, t, y));
            boolean close = Math.abs(p[0] - TRUE_A) < 0.02 && Math.abs(p[1] - TRUE_K) < 0.01;
            System.out.println(close ? "OK: recovered the true parameters" : "FAILED: parameters far from the truth");
            System.exit(close ? 0 : 1);
        }
    }

    /** Gradient descent with backtracking until the gradient is negligible; returns the iterations taken. */
    static int descend(Gradient gradient, double[] p, double[] t, double[] y) {
        double[] g = new double[p.length], trial = new double[p.length], unused = new double[p.length];
        double step = 1;
        for (int iteration = 1; iteration <= 100_000; iteration++) {
            double f = gradient.valueAndGradient(p, g, t, y);
            double g2 = g[0] * g[0] + g[1] * g[1];
            if (g2 < 1e-12) { // |∇loss| < 1e-6: the noise, not the optimiser, limits the fit now
                return iteration;
            }
            step *= 2; // let the step grow again after a backtracking shrank it
            while (true) {
                for (int j = 0; j < p.length; j++) {
                    trial[j] = p[j] - step * g[j];
                }
                if (gradient.valueAndGradient(trial, unused, t, y) <= f - 1e-4 * step * g2 || step < 1e-16) {
                    break;
                }
                step /= 2;
            }
            System.arraycopy(trial, 0, p, 0, p.length);
        }
        return 100_000;
    }
}
