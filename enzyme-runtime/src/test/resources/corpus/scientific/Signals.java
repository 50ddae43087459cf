package scientific;

import java.util.Arrays;

/** Signal and polynomial helpers written with the library calls numerical Java uses (issue 12, Deliver 6). */
public class Signals {

    /** Horner's rule with fused multiply-adds, as numerical libraries evaluate polynomials. */
    static double hornerFma(double[] coefficients, double x) {
        double acc = 0;
        for (int i = coefficients.length - 1; i >= 0; i--) {
            acc = Math.fma(acc, x, coefficients[i]);
        }
        return acc;
    }

    /** The direction of (dx, dy) in degrees, squared so the loss is smooth away from the axis. */
    static double bearingDegreesSquared(double dx, double dy) {
        double degrees = Math.toDegrees(Math.atan2(dy, dx));
        return degrees * degrees / 3600;
    }

    /** Energy of the interior samples, the window cut out with copyOfRange. */
    static double interiorEnergy(double[] signal) {
        double[] interior = Arrays.copyOfRange(signal, 1, signal.length - 1);
        double e = 0;
        for (double v : interior) e += v * v;
        return e / interior.length;
    }

    /** Private: the corpus calls methods through handles, which would collect a double[] into a double[][]. */
    private static double rms(double... samples) {
        double s = 0;
        for (double v : samples) s += v * v;
        return Math.sqrt(s / samples.length);
    }

    /** Calls the varargs method with three values. */
    static double rmsOfThree(double a, double b, double c) {
        return rms(a, b, c) + rms(a * b);
    }

    /** Periodic second difference (floorMod wraps the neighbours), the roughness of a closed curve. */
    static double periodicRoughness(double[] u) {
        int n = u.length;
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d2 = u[Math.floorMod(i - 1, n)] - 2 * u[i] + u[Math.floorMod(i + 1, n)];
            s += d2 * d2;
        }
        return s;
    }

    /** A clipped log-likelihood: non-finite terms (and the bound of the window, Integer.max) guarded as people do. */
    static double guardedLogSum(double[] p, double floor) {
        double s = 0;
        int start = Integer.max(0, p.length - 4);
        for (int i = start; i < p.length; i++) {
            double term = Math.log(p[i] - floor);
            if (!Double.isFinite(term) || Double.isNaN(term)) continue;
            s += Math.clamp(term, -10.0, 10.0);
        }
        return s;
    }
}
