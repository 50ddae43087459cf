/* The C reference of jenzyme.bench.workloads.Rosenbrock, operation for operation. */
double rosenbrock(const double *x, int n) {
    double s = 0;
    for (int i = 0; i + 1 < n; i++) {
        double u = x[i + 1] - x[i] * x[i];
        double v = 1 - x[i];
        s += 100 * u * u + v * v;
    }
    return s;
}
