package jenzyme.runtime.testing;

/**
 * Central differences of a JVM method, the reference the JVM-vs-native tests hold compiled gradients to: each
 * component of {@code x} moved by ±{@link #STEP}, the method called on fresh copies (a method may write its arguments).
 */
public final class CentralDifferences {

    /** The step: 1e-6 keeps truncation (h²) and rounding (ulp/h) errors near 1e-10 for values of order one. */
    public static final double STEP = 1e-6;

    /** A JVM method of one array, the other arguments fixed. */
    @FunctionalInterface
    public interface OfArray {
        double at(double[] x) throws Throwable;
    }

    /** A JVM method of one double, the other arguments fixed. */
    @FunctionalInterface
    public interface OfDouble {
        double at(double x) throws Throwable;
    }

    private CentralDifferences() {
    }

    /** The gradient of {@code f} at {@code x} (left unchanged). */
    public static double[] gradient(OfArray f, double[] x) throws Throwable {
        double[] gradient = new double[x.length];
        for (int k = 0; k < x.length; k++) {
            double[] up = x.clone(), down = x.clone();
            up[k] += STEP;
            down[k] -= STEP;
            gradient[k] = (f.at(up) - f.at(down)) / (2 * STEP);
        }
        return gradient;
    }

    /** {@code x + step·direction}, a new array ({@code x} left unchanged): the points of a difference along a direction. */
    public static double[] along(double[] x, double[] direction, double step) {
        double[] moved = x.clone();
        for (int i = 0; i < moved.length; i++) {
            moved[i] += step * direction[i];
        }
        return moved;
    }

    /** The derivative of {@code f} at {@code x}. */
    public static double derivative(OfDouble f, double x) throws Throwable {
        return (f.at(x + STEP) - f.at(x - STEP)) / (2 * STEP);
    }
}
