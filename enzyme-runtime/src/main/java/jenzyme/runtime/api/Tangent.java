package jenzyme.runtime.api;

import jenzyme.runtime.Derivative;

/**
 * A forward-mode derivative made by {@link JEnzyme#forward}: a function's value and its derivative along one
 * direction in one native call. For {@code double f(double[] p, ...data)} use {@link #valueAndDerivative}; other
 * shapes go through {@link #invoke} or {@link #handle()} (each active parameter followed by its tangent). Closing
 * it (or its {@link JEnzyme}) frees the native code.
 */
public final class Tangent extends BoundDerivative {

    /** {@code f(p)} and the directional derivative {@code ∇f(p)·direction}. */
    public record ValueAndDerivative(double value, double derivative) {}

    Tangent(String method, Derivative derivative) {
        super(method, derivative);
    }

    /**
     * The value of {@code double f(double[] p, constants...)} at {@code p} and its derivative along
     * {@code direction} (one native call, no gradient: cheaper than reverse mode for one direction).
     *
     * @param direction the tangent of {@code p}; at least as long as {@code p}
     * @param constants the remaining arguments, in order: those named as constants when compiling, and ints
     * @throws IllegalArgumentException if the method has another shape or the arrays do not fit
     */
    public ValueAndDerivative valueAndDerivative(double[] p, double[] direction, Object... constants) {
        double[] out = invokeOnArray(p, direction, constants);
        return new ValueAndDerivative(out[derivative.convention().primalSlot()],
                out[derivative.convention().returnTangentSlot()]);
    }
}
