package jenzyme.hipparchus;

import java.util.Arrays;

/**
 * A reverse-mode binding's value and gradient at the last point asked for: optimisers ask for the value and the
 * gradient at the same point separately, and one sweep gives both. The point, the binding's copy of it and the
 * gradient it writes (or adds into, zeroed first) are buffers reused from sweep to sweep; the gradient handed out is
 * a fresh copy, because Hipparchus owns what {@code ObjectiveFunctionGradient} returns and may change it
 * ({@code NonLinearConjugateGradientOptimizer} negates it in place when minimising). That is one array of n doubles per
 * new point, where a fresh kept point, argument, gradient, its copy and a snapshot record made five objects
 * ({@code LastPointAllocationTest}: 96 bytes per point at n = 10, 416 before).
 * Calls are serialised (an optimiser asks from one thread); a sweep that throws leaves no point known.
 */
final class LastPoint {

    private final HipparchusBridge.ValueAndGradient binding;
    /** The point the value and gradient are at, valid only while {@link #known}. */
    private double[] point = new double[0];
    /** The binding's own copy of the point: compiled code may write its parameters, the point must not change. */
    private double[] argument = new double[0];
    private double[] gradient = new double[0];
    private double value;
    private boolean known;

    LastPoint(HipparchusBridge.ValueAndGradient binding) {
        this.binding = binding;
    }

    synchronized double value(double[] x) {
        sweepUnlessAt(x);
        return value;
    }

    synchronized double[] gradient(double[] x) {
        sweepUnlessAt(x);
        return gradient.clone();
    }

    private void sweepUnlessAt(double[] x) {
        if (known && Arrays.equals(point, x)) {
            return;
        }
        known = false;
        int n = x.length;
        if (point.length != n) {
            point = new double[n];
            argument = new double[n];
            gradient = new double[n];
        }
        System.arraycopy(x, 0, argument, 0, n);
        Arrays.fill(gradient, 0);
        value = binding.at(argument, gradient);
        System.arraycopy(x, 0, point, 0, n);
        known = true;
    }
}
