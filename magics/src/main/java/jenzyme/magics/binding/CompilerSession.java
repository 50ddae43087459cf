package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.Jacobian;
import jenzyme.runtime.ad.JacobianOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.MagicInterruptedException;
import jenzyme.runtime.error.WorkerException;
import jenzyme.runtime.lower.Interruption;
import jenzyme.magics.NotebookSession;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.NativeMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.DerivativeRule;
import jenzyme.runtime.lower.SubsetExplainer;
import jenzyme.runtime.worker.WorkerClient;

/**
 * The notebook's side of the runtime {@link Pipeline} (which owns the JIT and the Enzyme worker): finds cell
 * methods by name, ties the kernel's interrupt to the compiled-code flag and to a waiting worker request, and keeps
 * the code currently bound under each generated name, released when the name is bound again. Magics call it.
 */
public final class CompilerSession {

    private final NotebookSession notebook;
    private final Pipeline pipeline = Pipeline.createQuickFirst(WorkerClient::fromEnvironment);
    private final PipelineWarmUp warmUp = PipelineWarmUp.start(pipeline);
    private final Map<String, AutoCloseable> boundNames = new HashMap<>();
    private final GeneratedNames generatedNames = new GeneratedNames();
    private final Map<String, Derivative> samplingDerivatives = new HashMap<>();
    private final Map<Derivative, StaleBindings.Guarded> guards = new java.util.IdentityHashMap<>();
    private final StaleBindings stale;
    /** The stub source each bound name last defined, while JShell still holds it as defined (see {@link #bind}). */
    private final Map<String, String> definedStubs = new HashMap<>();
    private boolean definingStubs;
    private final NotebookRules rules;

    public CompilerSession(NotebookSession notebook) {
        this.notebook = notebook;
        this.stale = new StaleBindings(notebook::methods);
        this.rules = new NotebookRules(this::method, notebook::classBytes);
        notebook.onInterrupt(() -> InterruptFlag.global().raise());
        notebook.onMethodsDefined(stale::methodsDefined);
        // The full code of what a magic compiled is generated once the magic has bound it (see interruptible).
        notebook.onMagicEnd(pipeline::releaseFullCode);
        // A cell that (re)defines a generated method, or JShell recompiling one, makes its stubs worth defining again.
        notebook.onMethodsDefined(methods -> {
            if (!definingStubs) {
                definedStubs.keySet().removeIf(bound -> methods.stream().anyMatch(m -> m.startsWith(baseOf(bound) + "_")));
            }
        });
    }

    /** The one cell method called {@code name}. */
    public UserMethod method(String name) {
        List<UserMethod> methods = notebook.methods(name);
        if (methods.isEmpty()) {
            throw new IllegalArgumentException(Messages.NO_CELL_METHOD.format(name));
        }
        if (methods.size() > 1) {
            throw new IllegalArgumentException(Messages.OVERLOADED.format(name, String.join(", ",
                    methods.stream().map(CompilerSession::asWritten).toList())));
        }
        return methods.getFirst();
    }

    /** {@code model.loss}: the instance method {@code loss} of the object in the notebook variable {@code model}. */
    public Receivers.Receiver receiver(String target) {
        int dot = target.lastIndexOf('.');
        return Receivers.find(notebook, target.substring(0, dot), target.substring(dot + 1));
    }

    /** {@code f(double, int[])}: the method as written, never its JVM descriptor. */
    private static String asWritten(UserMethod method) {
        return jenzyme.runtime.error.JavaWords.method(method.ownerInternalName(), method.name(), method.descriptor());
    }

    /**
     * {@code %autodiff rule}: registers a derivative rule for {@code target} (a cell method, or {@code
     * full.Class.method} of the JVM) with the cell methods {@code forward} and {@code reverse}; returns what was
     * registered, as the user wrote it.
     */
    public String rule(String target, java.util.Optional<String> forward, java.util.Optional<String> reverse) {
        DerivativeRule rule = rules.add(new NotebookRules.Names(target, forward, reverse));
        List<String> parts = new java.util.ArrayList<>();
        forward.ifPresent(f -> parts.add("forward " + f));
        reverse.ifPresent(r -> parts.add("reverse " + r));
        if (rule.inJvm()) {
            parts.add("called in the JVM");
        }
        return Messages.RULE_BOUND.format(rule.primal().asWritten(), String.join(", ", parts));
    }

    /** Hands the notebook's rules, resolved against the methods as they are now, to the pipeline. */
    private void applyRules() {
        pipeline.rules(rules.resolved());
    }

    public record Timed<T>(T result, Map<String, Duration> timings) {}

    /** {@code %jit}: the method compiled natively, strict or with {@code --fast-math}. */
    public Timed<NativeMethod> compile(UserMethod method, boolean fastMath) {
        InterruptFlag.global().clear();
        applyRules();
        long start = System.nanoTime();
        NativeMethod compiled = interruptible(() -> pipeline.jit(javaMethod(method),
                DifferentiationOptions.DEFAULT.withFastMath(fastMath)));
        return new Timed<>(compiled, Map.of("lower+jit", Duration.ofNanos(System.nanoTime() - start)));
    }

    /** {@code %autodiff reverse|forward f} as the default magic line binds it. */
    public Derivative differentiate(UserMethod method, Mode mode, Map<String, Activity> overrides,
                                    DifferentiationOptions options) {
        return differentiate(method, mode, overrides, options, 1, "%autodiff " + mode.token() + " " + method.name());
    }

    /**
     * {@code %autodiff reverse|forward f}, with {@code width > 1} batched forward mode ({@code --width N});
     * {@code rerun} is the magic line that binds it again, which a call quotes once a method it came from changed.
     */
    public Derivative differentiate(UserMethod method, Mode mode, Map<String, Activity> overrides,
                                    DifferentiationOptions options, int width, String rerun) {
        return throughWorker(method, rerun, () -> pipeline.differentiate(javaMethod(method), mode, overrides, options,
                width));
    }

    /**
     * {@code %autodiff reverse f --checkpoint [--segment K]}: reverse mode whose tape stays bounded however long
     * the method's main loop runs ({@link jenzyme.runtime.Pipeline#reverseCheckpointed}); {@code segment} 0 adapts.
     */
    public Derivative checkpointed(UserMethod method, Map<String, Activity> overrides, DifferentiationOptions options,
                                   int segment, String rerun) {
        return throughWorker(method, rerun,
                () -> pipeline.reverseCheckpointed(javaMethod(method), overrides, options, segment));
    }

    /** A compiled Jacobian and its {@code (double[][] jacobian, Object[] arguments)void} evaluator, stale-guarded. */
    public record BoundJacobian(Jacobian jacobian, MethodHandle into) {}

    public BoundJacobian jacobian(UserMethod method, JacobianOptions options, String rerun) {
        InterruptFlag.global().clear();
        applyRules();
        Jacobian jacobian = interruptible(() -> pipeline.jacobian(javaMethod(method), options));
        MethodHandle into;
        try {
            into = MethodHandles.lookup().findVirtual(Jacobian.class, "into",
                    MethodType.methodType(void.class, double[][].class, Object[].class)).bindTo(jacobian)
                    .asFixedArity();
        } catch (ReflectiveOperationException e) {
            jacobian.close();
            throw new IllegalStateException(e);
        }
        Derivative any = jacobian.forward() != null ? jacobian.forward() : jacobian.reverse();
        BooleanSupplier live = () -> (jacobian.forward() == null || jacobian.forward().isLive())
                && (jacobian.reverse() == null || jacobian.reverse().isLive());
        return new BoundJacobian(jacobian, stale.guard(into, method, any.loweredMethods(),
                readsNotebookVariables(any.entry()), rerun, live).handle());
    }

    /** @param constants the parameters kept out of H·v ({@code d=Const}) */
    public Derivative hessianVectorProduct(UserMethod method, Map<String, Activity> constants, String rerun) {
        return throughWorker(method, rerun, () -> pipeline.hvp(javaMethod(method), constants));
    }

    /** Whether the code reads a notebook variable: a static field of one of JShell's wrapper classes. */
    private static boolean readsNotebookVariables(jenzyme.runtime.lower.EntryPoint entry) {
        return entry.fields().stream().anyMatch(f -> f.field().owner().startsWith("REPL/"));
    }

    /** {@code compiled}'s handle, raising a clear error once {@code method} or a method it calls is redefined. */
    public MethodHandle guardedHandle(NativeMethod compiled, UserMethod method, String rerun) {
        return stale.guard(compiled.handle(), method, compiled.lowered().loweredMethods(),
                readsNotebookVariables(compiled.entry()), rerun, compiled::isLive).handle();
    }

    /**
     * Runs a pipeline request whose worker call the kernel's interrupt cancels; the handle of the result is retired
     * (see {@link StaleBindings}) once a method it was compiled from changes.
     */
    private Derivative throughWorker(UserMethod method, String rerun, Supplier<Derivative> request) {
        InterruptFlag.global().clear();
        applyRules();
        Derivative derivative = interruptible(request);
        StaleBindings.Guarded guarded = stale.guard(derivative.handle(), method, derivative.loweredMethods(),
                readsNotebookVariables(derivative.entry()), rerun, derivative::isLive);
        Derivative result = derivative.withHandles(guarded.handle(),
                derivative.overwriting().map(written -> StaleBindings.alike(written, guarded.handle())));
        guards.keySet().removeIf(d -> !d.isLive()); // released code: nothing left to guard
        guards.put(result, guarded);
        return result;
    }

    /**
     * Runs a compilation that the kernel's interrupt stops: at the lowering's next source line, before the worker
     * or the JIT ({@link Interruption}), or by cancelling the worker's request in flight; each ends as
     * {@link MagicInterruptedException}, in the magic's words rather than the stage's ("the Enzyme worker failed:
     * cancelled while ...", qa6 R4).
     */
    private <T> T interruptible(Supplier<T> compilation) {
        warmUp.await(InterruptFlag.global()::isRaised);
        pipeline.holdFullCode(); // until the magic ends: it binds with both cores

        try (var cancel = notebook.onInterrupt(pipeline::cancel)) {
            return Interruption.stoppable(InterruptFlag.global()::isRaised, compilation);
        } catch (Interruption.Interrupted stopped) {
            throw new MagicInterruptedException(stopped);
        } catch (WorkerException failed) {
            if (failed.reason() == WorkerException.Reason.CANCELLED) {
                throw new MagicInterruptedException(failed);
            }
            throw failed;
        }
    }

    /**
     * The reverse- (else forward-) mode derivative bound under {@code name} by {@code %autodiff}, for shipping
     * ({@code %spark ship}); refused once its method changed, like its bindings.
     */
    public Derivative shippable(String name) {
        for (Mode mode : List.of(Mode.REVERSE, Mode.FORWARD)) {
            if (boundNames.get(name + "/" + mode) instanceof Derivative derivative && derivative.isLive()) {
                StaleBindings.Guarded guard = guards.get(derivative);
                if (guard != null && guard.isStale()) {
                    throw new IllegalArgumentException(Messages.SHIP_STALE.format(name));
                }
                return derivative;
            }
        }
        throw new IllegalArgumentException(Messages.SHIP_NOT_BOUND.format(name));
    }

    /** What of {@code method} and its callees the compiler would refuse, found before compiling (no worker). */
    public List<SubsetExplainer.Problem> explain(UserMethod method) {
        return pipeline.explain(javaMethod(method));
    }

    private JavaMethod javaMethod(UserMethod method) {
        return new JavaMethod(notebook.classBytes(), method.ownerInternalName(), method.name(), method.descriptor());
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

    /**
     * {@code method} as f: R^n → R with its compiled gradient, for {@code %gradcheck} and {@code %plot}; its lambda
     * parameters are the objects of the notebook variables {@code lambdas} names ({@code f=decay}).
     */
    public VectorFunctions sampled(UserMethod method, Map<String, String> lambdas) {
        Derivative gradient = defaultGradient(method);
        Map<String, Object> given = new HashMap<>();
        lambdas.forEach((parameter, variable) -> {
            if (gradient.entry().declared().stream().noneMatch(p -> p.name().equals(parameter)
                    && BindingStubs.isLambda(p))) {
                throw new IllegalArgumentException(Messages.SAMPLED_NOT_A_LAMBDA.format(parameter, variable,
                        gradient.entry().methodAsWritten()));
            }
            given.put(parameter, notebook.variable(variable).map(NotebookSession.Variable::value)
                    .orElseThrow(() -> new IllegalArgumentException(Messages.SAMPLED_LAMBDA_VARIABLE.format(parameter,
                            variable))));
        });
        return VectorFunctions.of(jvmHandle(method), gradient, given);
    }

    /** The JVM's own version of {@code method}, e.g. for finite differences. */
    public MethodHandle jvmHandle(UserMethod method) {
        return notebook.handle(method);
    }

    /**
     * Defines {@code stubs} (the cell methods that call {@code code}, generated for {@code method} compiled as
     * {@code entry}) and records that {@code name} is now bound to {@code code}, releasing what it was bound to
     * before. Generic parameter types get back the arguments the descriptor erased ({@link GenericParameters}). If
     * JShell refuses the stubs, {@code code} is released.
     *
     * @return the signatures to show (generic types as written) and how long JShell took to define the stubs
     */
    public Bound bind(String name, Target target, UserMethod method, jenzyme.runtime.lower.EntryPoint entry,
                         BindingStubs.Stubs erased, AutoCloseable code) throws DefinitionException {
        List<String> parameters = entry.declared().stream().map(jenzyme.runtime.lower.EntryPoint.JavaParameter::name)
                .toList();
        BindingStubs.Stubs stubs = GenericParameters.restore(erased, notebook.classBytes(), method, parameters);
        Duration defining = Duration.ZERO;
        String base = baseOf(name);
        List<String> declared = GeneratedNames.declaredBy(stubs);
        try {
            stopIfInterrupted(null); // JShell would refuse the stubs, in its words
            generatedNames.check(base, target, declared, notebook::declares);
            // The same source reads the same call site: retargeting it (commit) is the whole binding.
            if (!stubs.source().equals(definedStubs.get(name)) || !declared.stream().allMatch(notebook::declares)) {
                definedStubs.remove(name);
                definingStubs = true;
                try {
                    defining = stubs.defineIn(notebook);
                } catch (DefinitionException refused) {
                    stopIfInterrupted(refused);
                    throw refused;
                } finally {
                    definingStubs = false;
                }
            }
        } catch (DefinitionException | RuntimeException refused) {
            BoundHandles.discard(stubs.handleKey());
            release(name, code);
            throw refused;
        }
        AutoCloseable previous = boundNames.put(name, code);
        // Closed once the last call that read it returns: other threads may be calling the binding right now.
        BoundHandles.commit(stubs.handleKey(), previous == code ? null : previous);
        definedStubs.put(name, stubs.source());
        generatedNames.claim(base, target, declared);
        return new Bound(stubs.signatures(), defining);
    }

    /**
     * What a binding compiles, as the magic line names it ({@code sp.e} for an instance method, else {@code e}), and
     * whether {@code --name} chose its name (then it may take the name over from a binding of another target).
     */
    public record Target(String text, boolean named) {}

    private static void stopIfInterrupted(Throwable cause) {
        if (InterruptFlag.global().isRaised()) {
            throw new MagicInterruptedException(cause);
        }
    }

    /** What {@link #bind} defined: the generated methods' signatures, and JShell's time (javac dominates it). */
    public record Bound(List<String> signatures, Duration stubTime) {}

    private static String baseOf(String boundName) {
        return boundName.contains("/") ? boundName.substring(0, boundName.indexOf('/')) : boundName;
    }

    private static void release(String name, AutoCloseable code) {
        try {
            code.close();
        } catch (Exception e) {
            throw new IllegalStateException(Messages.RELEASE_FAILED.format(name), e);
        }
    }
}
