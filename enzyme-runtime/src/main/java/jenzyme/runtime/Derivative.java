package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
 * @param timings        per phase, in pipeline order: the worker's phases, then {@code jit} and {@code bind}
 * @param loweredMethods the Java methods compiled into it (see {@code LoweredModule.loweredMethods()})
 * @param bitcode        the worker's optimised module that {@code code} was compiled from, what a
 *                       {@code jenzyme.runtime.ship.CompiledArtifact} ships to other JVMs
 */
public record Derivative(CallingConvention convention, WrapperSignature wrapper, MethodHandle handle,
                         Map<String, Duration> timings, String irBeforeEnzyme, String irAfterEnzyme,
                         List<String> loweredMethods, JitModule code, byte[] bitcode)
        implements AutoCloseable {

    public Derivative {
        loweredMethods = List.copyOf(loweredMethods);
    }

    /** The same derivative reached through {@code guarded} (a handle of the same type wrapping {@link #handle()}). */
    public Derivative withHandle(MethodHandle guarded) {
        if (!guarded.type().equals(handle.type())) {
            throw new IllegalArgumentException(Messages.HANDLE_TYPE_MISMATCH.format(handle.type(), guarded.type()));
        }
        return new Derivative(convention, wrapper, guarded, timings, irBeforeEnzyme, irAfterEnzyme, loweredMethods,
                code, bitcode);
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
