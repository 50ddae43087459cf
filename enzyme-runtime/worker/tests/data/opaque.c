double mystery_kernel(double);
double opaque(int *status, double x) { return mystery_kernel(x) * x; }
