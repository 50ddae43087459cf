package jenzyme.magics.autodiff;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.NotebookSession;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.Differentiator;
import jenzyme.runtime.NativeCompiler;
import jenzyme.runtime.NativeMethod;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DerivativeSpec;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.lower.BytecodeLowering;
import jenzyme.runtime.lower.LoweredModule;
import jenzyme.runtime.worker.WorkerClient;

/**
 * The compilation pipeline of one notebook: one ORC JIT (inside the {@link NativeCompiler}), one Enzyme worker
 * (started on first use, so a notebook that never differentiates never starts it) and the code currently bound
 * under each generated name, released when the name is bound again. Magics call it; it calls the runtime stages.
 * A kernel interrupt raises the compiled-code flag and cancels a waiting worker request.
 */
public final class CompilerSession {

    private final NotebookSession notebook;
    private final NativeCompiler compiler = NativeCompiler.create();
    private final Map<String, AutoCloseable> boundNames = new HashMap<>();
    private final Map<String, Derivative> samplingDerivatives = new HashMap<>();
    private final Map<Derivative, StaleBindings.Guarded> guards = new java.util.IdentityHashMap<>();
    private final StaleBindings stale;
    private WorkerClient worker;

    public CompilerSession(NotebookSession notebook) {
        this.notebook = notebook;
        this.stale = new StaleBindings(notebook::methods);
        notebook.onInterrupt(() -> InterruptFlag.global().raise());
        notebook.onMethodsDefined(stale::methodsDefined);
    }

    /** The one cell method called {@code name}. */
    public UserMethod method(String name) {
        List<UserMethod> methods = notebook.methods(name);
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("no cell method named '" + name + "': define it in a cell first");
        }
        if (methods.size() > 1) {
            throw new IllegalArgumentException("'" + name + "' is overloaded (" + String.join(", ",
                    methods.stream().map(m -> name + m.descriptor()).toList()) + "); give the overloads distinct names");
        }
        return methods.getFirst();
    }

    public record Timed<T>(T result, Map<String, Duration> timings) {}

    public Timed<NativeMethod> compile(UserMethod method) {
        InterruptFlag.global().clear();
        long start = System.nanoTime();
        NativeMethod compiled = compiler.compile(notebook.classBytes(), method.ownerInternalName(), method.name(),
                method.descriptor());
        return new Timed<>(compiled, Map.of("lower+jit", Duration.ofNanos(System.nanoTime() - start)));
    }

    public Derivative differentiate(UserMethod method, Mode mode, Map<String, Activity> overrides,
                                    DifferentiationOptions options) {
        String rerun = "%autodiff " + (mode == Mode.REVERSE ? "reverse " : "forward ") + method.name();
        return throughWorker(method, rerun, (differentiator, lowered) -> differentiator.differentiate(lowered,
                DerivativeSpec.of(lowered.entry(), mode, overrides), options));
    }

    public Derivative hessianVectorProduct(UserMethod method) {
        return throughWorker(method, "%autodiff hvp " + method.name(), Differentiator::hessianVectorProduct);
    }

    /** {@code compiled}'s handle, raising a clear error once {@code method} or a method it calls is redefined. */
    public java.lang.invoke.MethodHandle guardedHandle(NativeMethod compiled, UserMethod method) {
        return stale.guard(compiled.handle(), method, compiled.lowered().loweredMethods(), "%jit " + method.name(),
                compiled::isLive).handle();
    }

    /**
     * Lowers {@code method}, runs {@code stage} with a worker request the kernel's interrupt cancels; the handle of
     * the result is retired (see {@link StaleBindings}) once a method it was compiled from changes.
     */
    private Derivative throughWorker(UserMethod method, String rerun,
                                     java.util.function.BiFunction<Differentiator, LoweredModule, Derivative> stage) {
        InterruptFlag.global().clear();
        long start = System.nanoTime();
        LoweredModule lowered = new BytecodeLowering(notebook.classBytes())
                .lower(method.ownerInternalName(), method.name(), method.descriptor());
        Duration lowering = Duration.ofNanos(System.nanoTime() - start);
        Derivative derivative;
        try (var cancel = notebook.onInterrupt(() -> worker().cancel())) {
            derivative = stage.apply(new Differentiator(worker(), compiler.jit()), lowered);
        }
        Map<String, Duration> timings = new LinkedHashMap<>();
        timings.put("lowering", lowering);
        timings.putAll(derivative.timings());
        StaleBindings.Guarded guarded = stale.guard(derivative.handle(), method, lowered.loweredMethods(), rerun,
                derivative::isLive);
        Derivative result = new Derivative(derivative.entry(), derivative.spec(), derivative.wrapper(),
                guarded.handle(), timings, derivative.irBeforeEnzyme(), derivative.irAfterEnzyme(), derivative.code());
        guards.keySet().removeIf(d -> !d.isLive()); // released code: nothing left to guard
        guards.put(result, guarded);
        return result;
    }

    /**
     * The reverse-mode derivative with default activities of the current version of {@code method}, for magics that
     * sample a function and its gradient; compiled once per version of the method.
     */
    public Derivative defaultGradient(UserMethod method) {
        String version = method.ownerInternalName() + "." + method.name() + method.descriptor();
        Derivative cached = samplingDerivatives.get(method.name());
        if (cached != null && cached.isLive() && !guards.get(cached).isStale() && version.equals(
                cached.entry().ownerInternalName() + "." + cached.entry().methodName() + cached.entry().descriptor())) {
            return cached;
        }
        Derivative fresh = differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
        samplingDerivatives.put(method.name(), fresh);
        if (cached != null) {
            cached.close();
        }
        return fresh;
    }

    /** The JVM's own version of {@code method}, e.g. for finite differences. */
    public java.lang.invoke.MethodHandle jvmHandle(UserMethod method) {
        return notebook.handle(method);
    }

    /**
     * Defines {@code stubSource} (the cell methods that call {@code code}) and records that {@code name} is now bound
     * to {@code code}, releasing what it was bound to before. If JShell refuses the stubs, {@code code} is released.
     */
    public Duration bind(String name, BindingStubs.Stubs stubs, AutoCloseable code) throws DefinitionException {
        Duration defining;
        try {
            defining = stubs.defineIn(notebook);
        } catch (DefinitionException | RuntimeException refused) {
            release(name, code);
            throw refused;
        }
        AutoCloseable previous = boundNames.put(name, code);
        if (previous != null && previous != code) {
            release(name, previous);
        }
        return defining;
    }

    private static void release(String name, AutoCloseable code) {
        try {
            code.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not release the code of " + name, e);
        }
    }

    private synchronized WorkerClient worker() {
        if (worker == null) {
            worker = WorkerClient.fromEnvironment();
        }
        return worker;
    }
}
