package jenzyme.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.EntryPoint;

/**
 * Which arguments of a workload are differentiated and in which order their partials are flattened: parameter
 * order, a Duplicated array contributing all its elements, an Active scalar one value. Every implementation
 * (ours, C, JAX, finite differences) reports its gradient in this order, so they can be compared element-wise.
 * The activities are the magics' defaults with the workload's Const overrides, checked by {@link CallingConvention}.
 */
public final class GradientLayout {

    private final List<Activity> activities;
    private final int[] offsets;

    private GradientLayout(List<Activity> activities, int[] offsets) {
        this.activities = List.copyOf(activities);
        this.offsets = offsets;
    }

    public static GradientLayout of(EntryPoint entry, Map<String, Activity> constants, List<Object> arguments) {
        List<Activity> activities = CallingConvention.of(entry, Mode.REVERSE, constants).activities();
        if (activities.size() != arguments.size()) {
            throw new IllegalArgumentException("expected " + activities.size() + " arguments for "
                    + entry.javaSignature() + ", got " + arguments.size());
        }
        int[] offsets = new int[arguments.size() + 1];
        for (int i = 0; i < arguments.size(); i++) {
            offsets[i + 1] = offsets[i] + switch (activities.get(i)) {
                case DUPLICATED, DUPLICATED_NONEED -> ((double[]) arguments.get(i)).length;
                case ACTIVE -> 1;
                case CONST -> 0;
            };
        }
        return new GradientLayout(activities, offsets);
    }

    public Activity activity(int parameter) {
        return activities.get(parameter);
    }

    public boolean differentiated(int parameter) {
        return activities.get(parameter) != Activity.CONST;
    }

    /** Total number of gradient components. */
    public int size() {
        return offsets[offsets.length - 1];
    }

    /** The parameter that gradient component {@code component} belongs to. */
    public int parameterOf(int component) {
        for (int p = 0; p < activities.size(); p++) {
            if (component < offsets[p + 1]) {
                return p;
            }
        }
        throw new IndexOutOfBoundsException("expected a component below " + size() + ", got " + component);
    }

    /** The element index inside its array parameter (0 for a scalar). */
    public int indexOf(int component) {
        return component - offsets[parameterOf(component)];
    }

    /** Indices of the Active scalars, in parameter order: the order of Enzyme's adjoint output slots. */
    public List<Integer> activeScalars() {
        List<Integer> active = new ArrayList<>();
        for (int p = 0; p < activities.size(); p++) {
            if (activities.get(p) == Activity.ACTIVE) {
                active.add(p);
            }
        }
        return active;
    }

    /**
     * Flattens shadows and adjoints into one gradient.
     *
     * @param shadows  per parameter: its shadow array when Duplicated (else ignored, may be null)
     * @param adjoints the Active scalars' partials in parameter order
     */
    public double[] gather(double[][] shadows, double[] adjoints) {
        double[] gradient = new double[size()];
        int adjoint = 0;
        for (int p = 0; p < activities.size(); p++) {
            switch (activities.get(p)) {
                case DUPLICATED, DUPLICATED_NONEED ->
                        System.arraycopy(shadows[p], 0, gradient, offsets[p], offsets[p + 1] - offsets[p]);
                case ACTIVE -> gradient[offsets[p]] = adjoints[adjoint++];
                case CONST -> { }
            }
        }
        return gradient;
    }
}
