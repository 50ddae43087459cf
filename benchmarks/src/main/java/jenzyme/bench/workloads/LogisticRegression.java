package jenzyme.bench.workloads;

/**
 * A dense logistic-regression loss: mean softplus(-y_i (x_i . w + b)) over n samples of d features (X row-major,
 * labels +-1), plus an L2 penalty; {@code w} holds d weights then the bias. The softplus is written in its
 * overflow-free form, branching on the sign of its argument.
 */
public final class LogisticRegression {

    public static final double L2 = 1e-3;

    private LogisticRegression() {
    }

    public static double logreg(double[] w, double[] X, double[] y, int n, int d) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            double z = w[d];
            for (int j = 0; j < d; j++) {
                z += X[i * d + j] * w[j];
            }
            double t = -y[i] * z;
            total += t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
        }
        double penalty = 0;
        for (int j = 0; j < d; j++) {
            penalty += w[j] * w[j];
        }
        return total / n + 0.5 * L2 * penalty;
    }
}
