#include <math.h>
double composite(int *status, double x, double y) {
    return sin(x) * exp(y) + pow(x, 3.0) * y + pow(y, x);
}
