package jenzyme.runtime.api;

import java.util.Arrays;
import java.util.stream.IntStream;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.ship.ArtifactRuntime;
import jenzyme.runtime.ship.CompiledArtifact;

/**
 * A reverse-mode derivative made by {@link JEnzyme#reverse}: a function's value and its gradient in one native
 * call. For {@code double loss(double[] p, ...data)}, {@link #valueAndGradient} is the whole story; other shapes go
 * through {@link #invoke} or {@link #handle()}. Closing it (or its {@link JEnzyme}) frees the native code.
 */
public final class Gradient extends BoundDerivative {

    /**
     * A reverse-mode derivative shipped from another JVM, compiled in this one's shared JIT at the first call for
     * its content (later calls, and other threads, get the same code; see {@link ArtifactRuntime}). Needs no
     * Enzyme worker. Don't close it while other threads of the JVM use the same artefact.
     *
     * @throws IllegalArgumentException if the artefact is not a reverse-mode derivative
     */
    public static Gradient of(CompiledArtifact artifact) {
        if (artifact.model().mode() != Mode.REVERSE) {
            throw new IllegalArgumentException(Messages.SHIP_MODE.format("reverse", artifact.method(),
                    artifact.model().mode().token()));
        }
        return new Gradient(artifact.method(), ArtifactRuntime.shared().load(artifact));
    }

    Gradient(String method, Derivative derivative) {
        super(method, derivative);
    }

    /**
     * The value of {@code double f(double[] p, constants...)} at {@code p}, writing ∂f/∂p into {@code gradient}.
     *
     * @param p         the parameters (read only)
     * @param gradient  receives the gradient; at least as long as {@code p}, its first {@code p.length} entries
     *                  overwritten (not accumulated) whatever they held
     * @param constants the remaining arguments, in order: those named as constants when compiling, and ints
     * @throws IllegalArgumentException if the method has another shape or the arrays do not fit
     * @throws ArrayIndexOutOfBoundsException like the Java method, when it indexes outside an array
     */
    public double valueAndGradient(double[] p, double[] gradient, Object... constants) {
        // the overwriting form (f_grad_set's) where the derivative has one; else zeroed here, as it would zero it
        java.lang.invoke.MethodHandle written = derivative.overwriting().orElse(null);
        if (written == null) {
            Arrays.fill(gradient, 0);
        }
        return invokeOnArray(written != null ? written : derivative.handle(), p, gradient, constants)
                [derivative.convention().primalSlot()];
    }

    /**
     * {@link #handle()}'s twin that writes the gradient into the shadows instead of adding to it, whatever they held
     * (the notebook's {@code f_grad_set}): allocation-free, no zeroing needed. Empty where not every shadow receives a
     * gradient as an array (a {@code void} method's outputs, methods taking lambdas;
     * docs/MAGICS.md).
     */
    public java.util.Optional<java.lang.invoke.MethodHandle> overwritingHandle() {
        return derivative.overwriting();
    }

    /**
     * {@link #valueAndGradient} at each of {@code points}, spread over the machine's cores (a parallel stream on the
     * common fork-join pool). Bound derivatives are safe to call from many threads at once: each call has its own
     * status block and copy buffers (per thread), compiled code allocates its tapes per call, and closing frees the
     * code only after the last call inside has returned. The same pattern works for any binding, e.g.
     * {@code IntStream.range(0, n).parallel().forEach(i -> f_grad_into(...))} in a notebook.
     *
     * @param gradients one array per point (at least as long as it), overwritten
     * @param constants passed unchanged to every call; they must not be written while the batch runs
     * @return the values, in the order of {@code points}
     */
    public double[] valuesAndGradients(double[][] points, double[][] gradients, Object... constants) {
        if (points.length != gradients.length) {
            throw new IllegalArgumentException(Messages.BATCH_LENGTHS.format(points.length, gradients.length));
        }
        double[] values = new double[points.length];
        IntStream.range(0, points.length).parallel()
                .forEach(i -> values[i] = valueAndGradient(points[i], gradients[i], constants));
        return values;
    }
}
