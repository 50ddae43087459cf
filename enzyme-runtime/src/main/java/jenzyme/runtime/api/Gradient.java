package jenzyme.runtime.api;

import java.util.Arrays;
import jenzyme.runtime.Derivative;

/**
 * A reverse-mode derivative made by {@link JEnzyme#reverse}: a function's value and its gradient in one native
 * call. For {@code double loss(double[] p, ...data)}, {@link #valueAndGradient} is the whole story; other shapes go
 * through {@link #invoke} or {@link #handle()}. Closing it (or its {@link JEnzyme}) frees the native code.
 */
public final class Gradient extends BoundDerivative {

    Gradient(String method, Derivative derivative) {
        super(method, derivative);
    }

    /**
     * The value of {@code double f(double[] p, constants...)} at {@code p}, writing ∂f/∂p into {@code gradient}.
     *
     * @param p         the parameters (read only)
     * @param gradient  receives the gradient; at least as long as {@code p}, overwritten (not accumulated)
     * @param constants the remaining arguments, in order: those named as constants when compiling, and ints
     * @throws IllegalArgumentException if the method has another shape or the arrays do not fit
     * @throws ArrayIndexOutOfBoundsException like the Java method, when it indexes outside an array
     */
    public double valueAndGradient(double[] p, double[] gradient, Object... constants) {
        Arrays.fill(gradient, 0);
        return invokeOnArray(p, gradient, constants)[derivative.convention().primalSlot()];
    }
}
