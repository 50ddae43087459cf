package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.ad.WrapperSignature;

/**
 * A derivative compiled and bound: the output of {@link Pipeline}, the input of the magics that expose it in
 * a notebook. {@link #handle()} is the raw, allocation-free form in Enzyme's convention (see
 * {@link CallingConvention#handleType()}): each parameter followed by its shadow or tangent when it has one, then
 * {@code double[] out} receiving {@link WrapperSignature#slots()}. Closing it frees the native code; the
 * handle then raises instead of calling.
 *
 * <p>{@link #overwriting()}, for a reverse-mode gradient whose shadows are all arrays of numbers
 * ({@code bind.ShadowZeroing#applies}), has the handle's type but writes each shadow's first primal-length entries
 * with the gradient instead of adding to them ({@code f_grad_set}): the worker's overwriting wrapper where it made
 * one, else the shadows zeroed before the accumulating call. Empty for everything else.
 *
 * @param timings        per phase, in pipeline order: the worker's phases, then {@code jit} and {@code bind}
 * @param loweredMethods the Java methods compiled into it (see {@code LoweredModule.loweredMethods()})
 * @param bitcode        the worker's module that {@code code} was compiled from, what a
 *                       {@code jenzyme.runtime.ship.CompiledArtifact} ships to other JVMs
 * @param postOptimisation the passes run on {@code bitcode} before its full code was generated, when the worker left
 *                       them to the JIT ({@code DifferentiatedModule#postOptimisation()}); empty when it ran them
 */
public record Derivative(CallingConvention convention, WrapperSignature wrapper, MethodHandle handle,
                         Optional<MethodHandle> overwriting, Map<String, Duration> timings, String irBeforeEnzyme,
                         String irAfterEnzyme, List<String> loweredMethods, JitModule code, byte[] bitcode,
                         String postOptimisation)
        implements AutoCloseable {

    public Derivative {
        loweredMethods = List.copyOf(loweredMethods);
        overwriting.ifPresent(written -> sameType(handle, written));
    }

    /**
     * A derivative without an overwriting form (Hessian-vector products, checkpointed gradients, lambda hubs) whose
     * bitcode, if any, is optimised.
     */
    public Derivative(CallingConvention convention, WrapperSignature wrapper, MethodHandle handle,
                      Map<String, Duration> timings, String irBeforeEnzyme, String irAfterEnzyme,
                      List<String> loweredMethods, JitModule code, byte[] bitcode) {
        this(convention, wrapper, handle, Optional.empty(), timings, irBeforeEnzyme, irAfterEnzyme, loweredMethods,
                code, bitcode, "");
    }

    /**
     * The same derivative reached through {@code guarded} and {@code guardedOverwriting} (handles of the same type
     * wrapping {@link #handle()} and {@link #overwriting()}).
     */
    public Derivative withHandles(MethodHandle guarded, Optional<MethodHandle> guardedOverwriting) {
        return new Derivative(convention, wrapper, sameType(handle, guarded), guardedOverwriting, timings,
                irBeforeEnzyme, irAfterEnzyme, loweredMethods, code, bitcode, postOptimisation);
    }

    private static MethodHandle sameType(MethodHandle expected, MethodHandle actual) {
        if (!actual.type().equals(expected.type())) {
            throw new IllegalArgumentException(Messages.HANDLE_TYPE_MISMATCH.format(expected.type(), actual.type()));
        }
        return actual;
    }

    /** The lowered method this is the derivative of. */
    public EntryPoint entry() {
        return convention.entry();
    }

    public boolean isLive() {
        return code.isLive();
    }

    @Override
    public void close() {
        code.close();
    }
}
