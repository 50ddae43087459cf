package jenzyme.runtime.api;

import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.ship.ArtifactRuntime;
import jenzyme.runtime.ship.CompiledArtifact;

/**
 * A forward-mode derivative made by {@link JEnzyme#forward}: a function's value and its derivative along one
 * direction in one native call. For {@code double f(double[] p, ...data)} use {@link #valueAndDerivative}; other
 * shapes go through {@link #invoke} or {@link #handle()} (each active parameter followed by its tangent). Closing
 * it (or its {@link JEnzyme}) frees the native code.
 */
public final class Tangent extends BoundDerivative {

    /** {@code f(p)} and the directional derivative {@code ∇f(p)·direction}. */
    public record ValueAndDerivative(double value, double derivative) {}

    /**
     * A forward-mode derivative shipped from another JVM, compiled in this one's shared JIT at the first call for
     * its content (later calls, and other threads, get the same code; see {@link ArtifactRuntime}). Needs no
     * Enzyme worker. Don't close it while other threads of the JVM use the same artefact.
     *
     * @throws IllegalArgumentException if the artefact is not a forward-mode derivative
     */
    public static Tangent of(CompiledArtifact artifact) {
        if (artifact.model().mode() != Mode.FORWARD) {
            throw new IllegalArgumentException(Messages.SHIP_MODE.format("forward", artifact.method(),
                    artifact.model().mode().token()));
        }
        return new Tangent(artifact.method(), ArtifactRuntime.shared().load(artifact));
    }

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
        double[] out = invokeOnArray(derivative.handle(), p, direction, constants);
        return new ValueAndDerivative(out[derivative.convention().primalSlot()],
                out[derivative.convention().returnTangentSlot()]);
    }
}
