package jenzyme.runtime.ad;

import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import jenzyme.runtime.bind.DerivativeBinder;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.jit.OrcJit;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.LoweredModule;
import jenzyme.runtime.worker.DifferentiatedModule;
import jenzyme.runtime.worker.DifferentiationOptions;
import jenzyme.runtime.worker.DifferentiationRequest;
import jenzyme.runtime.worker.Mode;
import jenzyme.runtime.worker.WorkerClient;

/**
 * The AD stage: a {@link LoweredModule} and a {@link DerivativeSpec} in, a bound {@link Derivative} out, through
 * the Enzyme worker (differentiate, optimise), the ORC JIT (compile the worker's bitcode as it is: it is already
 * optimised) and the {@link DerivativeBinder}. Neighbours: the frontend before, the magics after.
 */
public final class Differentiator {

    private final WorkerClient worker;
    private final OrcJit jit;

    public Differentiator(WorkerClient worker, OrcJit jit) {
        this.worker = worker;
        this.jit = jit;
    }

    /**
     * @throws jenzyme.runtime.DifferentiationException if Enzyme or LLVM refused the module (their message kept)
     * @throws jenzyme.runtime.WorkerException if the worker crashed, timed out, or was cancelled
     * @throws jenzyme.runtime.JitException if the worker's module could not be compiled
     */
    public Derivative differentiate(LoweredModule lowered, DerivativeSpec spec, DifferentiationOptions options) {
        EntryPoint entry = lowered.entry();
        var arguments = WorkerArguments.of(entry, spec);
        var returnActivity = WorkerArguments.returnActivity(entry, spec.mode());
        DifferentiationRequest request = spec.mode() == Mode.REVERSE
                ? DifferentiationRequest.reverse(lowered.bitcode(), entry.symbol(), arguments, returnActivity)
                : DifferentiationRequest.forward(lowered.bitcode(), entry.symbol(), 1, arguments, returnActivity);
        DifferentiatedModule module = worker.differentiate(request.withOptions(options));

        Map<String, Duration> timings = new LinkedHashMap<>();
        module.timings().forEach((phase, time) -> timings.put(phase.name().toLowerCase(), time));
        long start = System.nanoTime();
        JitModule code = jit.add(lowered.moduleName() + "." + spec.mode().name().toLowerCase(), module.bitcode(),
                false);
        long jitted = System.nanoTime();
        try {
            MethodHandle handle = DerivativeBinder.bind(code.address(module.wrapper().symbol()), module.wrapper(),
                    entry, code::isLive);
            timings.put("jit", Duration.ofNanos(jitted - start));
            timings.put("bind", Duration.ofNanos(System.nanoTime() - jitted));
            return new Derivative(entry, spec, module.wrapper(), handle, timings,
                    module.irBeforeEnzyme().orElse(""), module.irAfterEnzyme().orElse(""), code);
        } catch (RuntimeException e) {
            code.close();
            throw e;
        }
    }
}
