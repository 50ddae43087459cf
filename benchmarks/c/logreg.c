/* The C reference of jenzyme.bench.workloads.LogisticRegression, operation for operation. */
#include <math.h>
#define L2 1e-3

double logreg(const double *w, const double *X, const double *y, int n, int d) {
    double total = 0;
    for (int i = 0; i < n; i++) {
        double z = w[d];
        for (int j = 0; j < d; j++) {
            z += X[i * d + j] * w[j];
        }
        double t = -y[i] * z;
        total += t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
    }
    double penalty = 0;
    for (int j = 0; j < d; j++) {
        penalty += w[j] * w[j];
    }
    return total / n + 0.5 * L2 * penalty;
}
