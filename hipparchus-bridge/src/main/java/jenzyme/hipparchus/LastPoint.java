package jenzyme.hipparchus;

import java.util.Arrays;

/**
 * A reverse-mode binding's value and gradient at the last point asked for: optimisers ask for the value and the
 * gradient at the same point separately, and one sweep gives both. Safe for several threads (each result is one
 * immutable snapshot); the gradient handed out is a copy, Hipparchus may keep it.
 */
final class LastPoint {

    private record Sweep(double[] x, double value, double[] gradient) {}

    private final HipparchusBridge.ValueAndGradient binding;
    private volatile Sweep last;

    LastPoint(HipparchusBridge.ValueAndGradient binding) {
        this.binding = binding;
    }

    double value(double[] x) {
        return at(x).value();
    }

    double[] gradient(double[] x) {
        return at(x).gradient().clone();
    }

    private Sweep at(double[] x) {
        Sweep sweep = last;
        if (sweep != null && Arrays.equals(sweep.x(), x)) {
            return sweep;
        }
        double[] point = x.clone();
        double[] gradient = new double[x.length];
        double value = binding.at(point.clone(), gradient);
        sweep = new Sweep(point, value, gradient);
        last = sweep;
        return sweep;
    }
}
