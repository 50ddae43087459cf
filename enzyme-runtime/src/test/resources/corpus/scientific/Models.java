package scientific;

/** Small models from chemistry, biology, statistics and mechanics, written plainly. */
public class Models {

    static final double R = 8.314462618;

    static double arrheniusRate(double prefactor, double activationEnergy, double temperature) {
        return prefactor * Math.exp(-activationEnergy * 1000 / (R * temperature * 300));
    }

    static double michaelisMentenSse(double vmax, double km, double[] s, double[] v) {
        double sse = 0;
        for (int i = 0; i < s.length; i++) {
            double predicted = vmax * s[i] / (km + s[i]);
            sse += (v[i] - predicted) * (v[i] - predicted);
        }
        return sse;
    }

    static double lennardJonesChain(double[] x) {
        double e = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = i + 1; j < x.length; j++) {
                double r = Math.abs(x[i] - x[j]) + 1.0;
                double sr6 = Math.pow(1.0 / r, 6);
                e += 4 * (sr6 * sr6 - sr6);
            }
        }
        return e;
    }

    static double gaussianMixtureLogLikelihood(double[] x, double mu1, double mu2, double sigma) {
        double ll = 0;
        double norm = 1 / (sigma * Math.sqrt(2 * Math.PI));
        for (double xi : x) {
            double a = Math.exp(-0.5 * (xi - mu1) * (xi - mu1) / (sigma * sigma));
            double b = Math.exp(-0.5 * (xi - mu2) * (xi - mu2) / (sigma * sigma));
            ll += Math.log(0.3 * norm * a + 0.7 * norm * b);
        }
        return ll;
    }

    static double poissonRegressionNll(double[][] x, double[] beta, double[] y) {
        double nll = 0;
        for (int i = 0; i < x.length; i++) {
            double eta = 0;
            for (int j = 0; j < beta.length; j++) {
                eta += x[i][j] * beta[j] * 0.2;
            }
            nll += Math.exp(eta) - y[i] * eta;
        }
        return nll;
    }

    static double logisticRegressionLoss(double[][] x, double[] w, double[] y) {
        double loss = 0;
        for (int i = 0; i < x.length; i++) {
            double z = 0;
            for (int j = 0; j < w.length; j++) {
                z += x[i][j] * w[j];
            }
            double label = y[i] > 1 ? 1 : 0;
            loss += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - label * z;
        }
        return loss / x.length;
    }

    static double dampedPendulumEuler(double theta0, double omega0, double damping, double t1, int steps) {
        double h = t1 / steps, theta = theta0, omega = omega0;
        for (int i = 0; i < steps; i++) {
            double alpha = -9.81 * Math.sin(theta) - damping * omega;
            theta += h * omega;
            omega += h * alpha;
        }
        return theta * theta + omega * omega;
    }

    /** Two-species reaction A -> B -> C integrated with the explicit midpoint rule; returns [B] at t1. */
    static double consecutiveReactionMidpoint(double k1, double k2, double t1, int steps) {
        double h = t1 / steps, a = 1, b = 0;
        for (int i = 0; i < steps; i++) {
            double am = a + 0.5 * h * (-k1 * a);
            double bm = b + 0.5 * h * (k1 * a - k2 * b);
            a += h * (-k1 * am);
            b += h * (k1 * am - k2 * bm);
        }
        return b;
    }
}
