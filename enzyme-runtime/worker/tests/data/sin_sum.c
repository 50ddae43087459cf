#include <math.h>
double sin_sum(int *status, double x, double *a, int a_len, int n) {
    double acc = 0.0;
    for (int i = 0; i < n; i++) {
        if (i >= a_len) { *status = 1; return 0.0; }
        acc += sin(x * a[i]);
    }
    return acc;
}
