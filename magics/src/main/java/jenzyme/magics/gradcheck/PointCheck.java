package jenzyme.magics.gradcheck;

import java.util.List;

/**
 * Gradient-check stage: all components checked at one point.
 *
 * @param index      position of this point in the result
 * @param x          the point (a private copy)
 * @param value      f(x)
 * @param components one check per gradient component, in index order
 */
public record PointCheck(int index, double[] x, double value, List<ComponentCheck> components) {

    public PointCheck {
        x = x.clone();
        components = List.copyOf(components);
    }

    @Override
    public double[] x() {
        return x.clone();
    }

    public boolean passed() {
        return components.stream().allMatch(ComponentCheck::passed);
    }
}
