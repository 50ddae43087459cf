/* The C reference of jenzyme.bench.workloads.LotkaVolterraFit, operation for operation. */
#define SPAN 10.0

double ode_loss(const double *p, const double *obs, int steps) {
    double alpha = p[0], beta = p[1], delta = p[2], gamma = p[3];
    double x = p[4], y = p[5];
    double dt = SPAN / steps;
    double loss = 0;
    for (int k = 0; k < steps; k++) {
        double k1x = alpha * x - beta * x * y;
        double k1y = delta * x * y - gamma * y;
        double x2 = x + 0.5 * dt * k1x, y2 = y + 0.5 * dt * k1y;
        double k2x = alpha * x2 - beta * x2 * y2;
        double k2y = delta * x2 * y2 - gamma * y2;
        double x3 = x + 0.5 * dt * k2x, y3 = y + 0.5 * dt * k2y;
        double k3x = alpha * x3 - beta * x3 * y3;
        double k3y = delta * x3 * y3 - gamma * y3;
        double x4 = x + dt * k3x, y4 = y + dt * k3y;
        double k4x = alpha * x4 - beta * x4 * y4;
        double k4y = delta * x4 * y4 - gamma * y4;
        x = x + dt / 6 * (k1x + 2 * k2x + 2 * k3x + k4x);
        y = y + dt / 6 * (k1y + 2 * k2y + 2 * k3y + k4y);
        double ex = x - obs[2 * k], ey = y - obs[2 * k + 1];
        loss += dt * (ex * ex + ey * ey);
    }
    return loss;
}
