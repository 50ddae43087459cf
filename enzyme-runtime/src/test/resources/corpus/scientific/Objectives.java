package scientific;

/** Objective functions handed to optimisers: test functions, regression losses, penalties. */
public class Objectives {

    static final double[] XS = {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5};
    static final double[] YS = {1.02, 1.61, 2.68, 4.52, 7.31, 12.2, 20.3, 33.0};
    static final double[] MATURITIES = {0.25, 0.5, 1, 2, 3, 5, 7, 10, 20, 30};
    static final double[] YIELDS = {4.1, 4.2, 4.3, 4.2, 4.1, 4.0, 4.05, 4.1, 4.3, 4.35};
    static final double[][] Q = {{4, 1}, {1, 3}};

    static double rosenbrock(double[] x) {
        double s = 0;
        for (int i = 0; i < x.length - 1; i++) {
            s += 100 * Math.pow(x[i + 1] - x[i] * x[i], 2) + Math.pow(1 - x[i], 2);
        }
        return s;
    }

    static double rastrigin(double[] x) {
        final double a = 10;
        double s = a * x.length;
        for (double xi : x) s += xi * xi - a * Math.cos(2 * Math.PI * xi);
        return s;
    }

    static double exponentialFitSse(double[] p) {
        double sse = 0;
        for (int i = 0; i < XS.length; i++) {
            double r = p[0] * Math.exp(p[1] * XS[i]) - YS[i];
            sse += r * r;
        }
        return sse;
    }

    static double ridgeLoss(double[] w, double lambda) {
        double loss = 0;
        for (int i = 0; i < XS.length; i++) {
            double pred = w[0] + w[1] * XS[i] + w[2] * XS[i] * XS[i];
            loss += (pred - YS[i]) * (pred - YS[i]);
        }
        double penalty = 0;
        for (double wi : w) penalty += wi * wi;
        return loss / XS.length + lambda * penalty;
    }

    static double logSumExp(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double s = 0;
        for (double v : x) s += Math.exp(v - max);
        return max + Math.log(s);
    }

    static double softmaxCrossEntropy(double[] logits, int label) {
        return logSumExp(logits) - logits[label];
    }

    static double huberLoss(double[] residuals, double delta) {
        double s = 0;
        for (double r : residuals) {
            double a = Math.abs(r - 1);
            s += a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
        }
        return s;
    }

    static double beale(double[] p) {
        double x = p[0], y = p[1];
        return Math.pow(1.5 - x + x * y, 2) + Math.pow(2.25 - x + x * y * y, 2) + Math.pow(2.625 - x + x * y * y * y, 2);
    }

    static double ackley(double[] x) {
        double s1 = 0, s2 = 0;
        for (double v : x) {
            s1 += v * v;
            s2 += Math.cos(2 * Math.PI * v);
        }
        int n = x.length;
        return -20 * Math.exp(-0.2 * Math.sqrt(s1 / n)) - Math.exp(s2 / n) + 20 + Math.E;
    }

    static double quadraticForm(double[] x) {
        double s = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) s += x[i] * Q[i][j] * x[j];
        return s;
    }

    static double nelsonSiegelSse(double[] beta) {
        double tau = 1.5 + beta[3] * 0.1, sse = 0;
        for (int i = 0; i < MATURITIES.length; i++) {
            double m = MATURITIES[i] / tau;
            double factor = (1 - Math.exp(-m)) / m;
            double model = beta[0] + beta[1] * factor + beta[2] * (factor - Math.exp(-m));
            sse += Math.pow(model - YIELDS[i] / 4, 2);
        }
        return sse;
    }

    static double logBarrier(double[] x, double mu) {
        double f = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] <= 0) throw new IllegalArgumentException("infeasible point: every x must be positive");
            f += (i + 1) * x[i] - mu * Math.log(x[i]);
        }
        return f;
    }

    static double elasticNetSmooth(double[] w, double alpha, double l1Ratio) {
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            double r = w[i] - XS[i] / 3;
            s += r * r;
        }
        double l1 = 0, l2 = 0;
        for (double wi : w) {
            l1 += Math.sqrt(wi * wi + 1e-8); // smoothed |w|
            l2 += wi * wi;
        }
        return 0.5 * s + alpha * (l1Ratio * l1 + 0.5 * (1 - l1Ratio) * l2);
    }
}
