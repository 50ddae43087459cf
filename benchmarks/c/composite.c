/* The C reference of jenzyme.bench.workloads.TranscendentalLoop, operation for operation. */
#include <math.h>
#define STEP 1e-3

double composite(double a, double b, double c, int n) {
    double x = a, s = 0;
    for (int k = 0; k < n; k++) {
        double t = k * STEP;
        x = x + STEP * (sin(b * x + t) - c * tanh(x) + cos(a * t) * exp(-c * t));
        s += log1p(x * x) + sqrt(1 + b * b * t) * atan(x);
    }
    return s;
}
