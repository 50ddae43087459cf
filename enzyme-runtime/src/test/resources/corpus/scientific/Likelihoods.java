package scientific;

/** Log-likelihoods of small statistical models, with their data in static arrays. */
public class Likelihoods {

    static final double[] DATA = {1.2, 0.8, 1.9, 1.4, 0.7, 1.1, 1.6, 1.3, 0.9, 1.5};
    static final int[] COUNTS = {2, 0, 3, 1, 4, 2, 2, 1, 0, 3};
    static final double[] FEATURES = {0.5, 1.2, -0.3, 0.8, 1.5, -1.1, 0.2, 0.4, -0.7, 1.0, 0.9, -0.2};
    static final int[] LABELS = {1, 0, 1, 1, 0, 1};
    static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

    static double gaussianLogLikelihood(double mu, double sigma) {
        double ll = 0;
        for (double x : DATA) {
            double z = (x - mu) / sigma;
            ll += -0.5 * z * z - Math.log(sigma) - LOG_SQRT_2PI;
        }
        return ll;
    }

    private static double logFactorial(int k) {
        double s = 0;
        for (int i = 2; i <= k; i++) s += Math.log(i);
        return s;
    }

    static double poissonLogLikelihood(double lambda) {
        double ll = 0;
        for (int k : COUNTS) ll += k * Math.log(lambda) - lambda - logFactorial(k);
        return ll;
    }

    static double logisticNll(double[] w) {
        double nll = 0;
        for (int i = 0; i < LABELS.length; i++) {
            double z = w[0] * FEATURES[2 * i] + w[1] * FEATURES[2 * i + 1] + w[2];
            double logP = -Math.log1p(Math.exp(-z));
            double logQ = -z + logP;
            nll -= LABELS[i] == 1 ? logP : logQ;
        }
        return nll;
    }

    static double studentTLogLikelihood(double mu, double scale, double nu) {
        double ll = 0;
        for (double x : DATA) {
            double z = (x - mu) / scale;
            ll += -0.5 * (nu + 1) * Math.log1p(z * z / nu) - Math.log(scale) - 0.5 * Math.log(nu * Math.PI);
        }
        return ll;
    }

    static double mixtureLogLikelihood(double[] p) {
        double w = 1 / (1 + Math.exp(-p[0]));
        double ll = 0;
        for (double x : DATA) {
            double a = Math.log(w) - 0.5 * Math.pow((x - p[1]) / p[2], 2) - Math.log(p[2]);
            double b = Math.log(1 - w) - 0.5 * Math.pow((x - p[3]) / p[4], 2) - Math.log(p[4]);
            double m = Math.max(a, b);
            ll += m + Math.log(Math.exp(a - m) + Math.exp(b - m)) - LOG_SQRT_2PI;
        }
        return ll;
    }

    static double weibullLogLikelihood(double k, double lambda) {
        double ll = 0;
        for (double x : DATA) {
            ll += Math.log(k / lambda) + (k - 1) * Math.log(x / lambda) - Math.pow(x / lambda, k);
        }
        return ll;
    }

    static double ar1LogLikelihood(double phi, double sigma) {
        double ll = 0;
        for (int t = 1; t < DATA.length; t++) {
            double e = DATA[t] - 1.2 - phi * (DATA[t - 1] - 1.2);
            ll += -0.5 * e * e / (sigma * sigma) - Math.log(sigma) - LOG_SQRT_2PI;
        }
        return ll;
    }

    static double binomialLogLikelihood(double p) {
        if (p <= 0 || p >= 1) throw new IllegalArgumentException("p must lie in (0, 1)");
        double ll = 0;
        for (int k : COUNTS) ll += k * Math.log(p) + (4 - k) * Math.log1p(-p);
        return ll;
    }

    static double gammaLogPrior(double[] theta, double shape) {
        double lp = 0;
        for (double t : theta) lp += (shape - 1) * Math.log(t) - t;
        return lp;
    }
}
