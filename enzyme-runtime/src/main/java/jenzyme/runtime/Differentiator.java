package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.ArgType;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.DerivativeSpec;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.ad.WorkerArguments;
import jenzyme.runtime.bind.DerivativeBinder;
import jenzyme.runtime.bind.HessianVectorBinder;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.jit.OrcJit;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.LoweredModule;
import jenzyme.runtime.worker.DifferentiatedModule;
import jenzyme.runtime.worker.DifferentiationRequest;
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
     * @throws jenzyme.runtime.error.DifferentiationException if Enzyme or LLVM refused the module (their message kept)
     * @throws jenzyme.runtime.error.WorkerException if the worker crashed, timed out, or was cancelled
     * @throws jenzyme.runtime.error.JitException if the worker's module could not be compiled
     */
    /**
     * H(p)·v of {@code double f(double[] p)}, forward mode over the reverse-mode gradient: the worker differentiates
     * the gradient wrapper it produced. The handle is {@code (double[] p, double[] v, double[] hv)void}.
     */
    public Derivative hessianVectorProduct(LoweredModule lowered) {
        EntryPoint entry = lowered.entry();
        if (entry.parameters().size() != 1 || entry.parameters().getFirst().type() != JavaType.DOUBLE_ARRAY
                || entry.returnType() != JavaType.DOUBLE) {
            throw new IllegalArgumentException("expected double " + entry.methodName() + "(double[]) for a "
                    + "Hessian-vector product, got " + entry.javaSignature());
        }
        DerivativeSpec spec = DerivativeSpec.of(entry, Mode.REVERSE, Map.of());
        DifferentiatedModule gradient = worker.differentiate(DifferentiationRequest.reverse(lowered.bitcode(),
                        entry.symbol(), WorkerArguments.of(entry, spec), Activity.ACTIVE)
                .withOptions(DifferentiationOptions.DEFAULT.withPrimalReturn(false)));
        List<Argument> overGradient = List.of(Argument.of(Activity.CONST, ArgType.PTR_I32),
                Argument.of(Activity.DUPLICATED, ArgType.PTR_DOUBLE), Argument.of(Activity.DUPLICATED, ArgType.PTR_DOUBLE),
                Argument.of(Activity.CONST, ArgType.I32), Argument.of(Activity.CONST, ArgType.PTR_DOUBLE));
        DifferentiatedModule hvp = worker.differentiate(DifferentiationRequest.forward(gradient.bitcode(),
                gradient.wrapper().symbol(), 1, overGradient, Activity.CONST));

        Map<String, Duration> timings = new LinkedHashMap<>();
        gradient.timings().forEach((phase, time) -> timings.put("reverse " + phase.name().toLowerCase(), time));
        hvp.timings().forEach((phase, time) -> timings.put("forward " + phase.name().toLowerCase(), time));
        return jitAndBind(lowered.moduleName() + ".hvp", hvp, timings, code -> HessianVectorBinder.bind(
                code.address(hvp.wrapper().symbol()), hvp.wrapper(), code::isLive), entry, spec);
    }

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
        return jitAndBind(lowered.moduleName() + "." + spec.mode().name().toLowerCase(), module, timings,
                code -> DerivativeBinder.bind(code.address(module.wrapper().symbol()), module.wrapper(), entry,
                        code::isLive), entry, spec);
    }

    /** Compiles the worker's (already optimised) module and binds its wrapper; frees the code if binding fails. */
    private Derivative jitAndBind(String moduleName, DifferentiatedModule module, Map<String, Duration> timings,
                                  Function<JitModule, MethodHandle> binder, EntryPoint entry, DerivativeSpec spec) {
        long start = System.nanoTime();
        JitModule code = jit.add(moduleName, module.bitcode(), false);
        long jitted = System.nanoTime();
        try {
            MethodHandle handle = binder.apply(code);
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
