package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.JacobianShape;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.ad.WrapperLayout;
import jenzyme.runtime.bind.DerivativeBinder;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.bind.HessianVectorBinder;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.bind.NativeBinder;
import jenzyme.runtime.bind.NativeSignature;
import jenzyme.runtime.bind.ShadowZeroing;
import jenzyme.runtime.bind.StaticFieldReads;
import jenzyme.runtime.lower.FieldParameter;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.jit.OrcJit;
import jenzyme.runtime.bind.JvmCalls;
import jenzyme.runtime.lower.BytecodeLowering;
import jenzyme.runtime.lower.DerivativeRule;
import jenzyme.runtime.lower.DerivativeRules;
import jenzyme.runtime.lower.DerivativeRules.Sweep;
import jenzyme.runtime.lower.MethodRef;
import jenzyme.runtime.lower.RuntimeSymbols;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.LoopPolling;
import jenzyme.runtime.lower.LoweredModule;
import jenzyme.runtime.lower.SubsetExplainer;
import jenzyme.runtime.worker.DifferentiatedModule;
import jenzyme.runtime.worker.DifferentiationRequest;
import jenzyme.runtime.worker.WorkerClient;
import jenzyme.runtime.ad.WrapperSignature;

/**
 * The runtime's one entry point: a {@link JavaMethod} in, bound native code out. The only place that assembles
 * the stages — {@link BytecodeLowering} → (the Enzyme {@link WorkerClient}) → {@link OrcJit} → the binders — for
 * the magics, the benchmark and plain Java programs alike; it knows nothing of notebooks.
 *
 * <p>Owns one ORC JIT, wired to the global {@link InterruptFlag}, and one worker client, started on the first
 * derivative (a program that only {@link #jit}s never needs the worker executable). Every artefact it returns is
 * {@link AutoCloseable}: closing it frees its native code, and its handles then raise instead of calling.
 * Jacobians ({@link #jacobian}) and batched forward mode sit beside {@link #reverse} and {@link #forward}.
 */
public final class Pipeline implements AutoCloseable {

    private final OrcJit jit;
    private final Supplier<WorkerClient> startWorker;
    private final Object workerLock = new Object();
    private final Map<JitKey, NativeMethod> jitted = new HashMap<>();
    private WorkerClient worker;
    private volatile List<DerivativeRule> rules = List.of();

    /** Whether strict derivatives leave the post-AD optimisation to the JIT (one {@linkplain #createQuickFirst quick first}). */
    private final boolean deferPostOptimisation;

    private Pipeline(OrcJit jit, Supplier<WorkerClient> startWorker, boolean deferPostOptimisation) {
        this.jit = jit;
        this.startWorker = startWorker;
        this.deferPostOptimisation = deferPostOptimisation;
    }

    /** A pipeline whose worker is the executable {@code JENZYME_WORKER} names (see {@link WorkerClient}). */
    public static Pipeline create() {
        return create(WorkerClient::fromEnvironment);
    }

    /** A pipeline that starts its worker client with {@code startWorker} when the first derivative is asked for. */
    public static Pipeline create(Supplier<WorkerClient> startWorker) {
        return new Pipeline(OrcJit.create(runtimeSymbols()), Objects.requireNonNull(startWorker, "startWorker"), false);
    }

    /**
     * A pipeline whose derivatives are callable as soon as their code is generated without optimisation, and run
     * their fully optimised code from a moment later ({@link OrcJit#createQuickFirst}): the notebook's, where the
     * magic's wait is what the user sees. {@link jenzyme.runtime.jit.JitModule#fullCode()} says when. The worker
     * leaves the post-AD optimisation of strict derivatives to the JIT, which runs it with the full tier
     * ({@link DifferentiationOptions#withDeferredPostOptimisation}); --fast-math ones come optimised, since their
     * quick code would round differently from their full code.
     */
    public static Pipeline createQuickFirst(Supplier<WorkerClient> startWorker) {
        return new Pipeline(OrcJit.createQuickFirst(runtimeSymbols()), Objects.requireNonNull(startWorker,
                "startWorker"), true);
    }

    /** Keeps full code from being generated until {@link #releaseFullCode} (see {@link OrcJit#holdFullTiers}). */
    public void holdFullCode() {
        jit.holdFullTiers();
    }

    public void releaseFullCode() {
        jit.releaseFullTiers();
    }

    /** Waits until everything compiled so far runs its full code (see {@link #createQuickFirst}); timings wait here. */
    public void awaitFullCode() {
        jit.awaitFullTiers();
    }

    private static Map<String, java.lang.foreign.MemorySegment> runtimeSymbols() {
        return Map.of(InterruptFlag.symbol(), InterruptFlag.global().segment());
    }

    /**
     * Stage 1 alone: the method and everything it calls as one LLVM module (for {@code --dump} and for callers
     * that need the {@link EntryPoint} before compiling).
     *
     * @throws jenzyme.runtime.error.LoweringException if the method is outside the supported subset
     */
    public LoweredModule lower(JavaMethod method) {
        return lower(method, Sweep.PRIMAL, 1);
    }

    /**
     * Replaces the derivative rules ({@code %autodiff rule}) that methods lowered from now on use: calls of each
     * rule's method go through the rule in derivatives, and JVM methods with a rule are called back in the JVM.
     */
    public void rules(List<DerivativeRule> rules) {
        this.rules = List.copyOf(rules);
    }

    private LoweredModule lower(JavaMethod method, Sweep sweep, int width) {
        return lower(method, sweep, width, LoopPolling.EVERY_ITERATION);
    }

    private LoweredModule lower(JavaMethod method, Sweep sweep, int width, LoopPolling polling) {
        return lower(method, sweep, width, polling, java.util.Set.of());
    }

    private LoweredModule lower(JavaMethod method, Sweep sweep, int width, LoopPolling polling,
                                java.util.Set<Integer> constantLoopArrays) {
        return new BytecodeLowering(method.classes(), DerivativeRules.of(rules, sweep, width))
                .withConstantLoopArrays(constantLoopArrays)
                .lower(method.ownerInternalName(), method.name(), method.descriptor(), List.of(), polling);
    }

    /**
     * The method lowered again with the loop allocation sites Enzyme found constant allocated inactive
     * ({@link jenzyme.runtime.lower.ConstantLoopArrays}); only forward-mode lowerings act on them.
     */
    interface Relowering {
        LoweredModule with(java.util.Set<Integer> constantLoopArrays);

        /** For a derivative whose lowering does not act on constant loop arrays: Enzyme's refusal stands. */
        Relowering NONE = sites -> null;
    }

    /**
     * Before compiling (lowering only, no worker): every construct of the method and of the methods it calls that
     * the compiler refuses, with its line; empty if the method compiles. For {@code %autodiff --explain}.
     */
    public List<SubsetExplainer.Problem> explain(JavaMethod method) {
        return new SubsetExplainer(method.classes()).explain(method.ownerInternalName(), method.name(),
                method.descriptor());
    }

    /** The lowered method, relaxed for {@code --fast-math} when the options ask for it. */
    private LoweredModule lower(JavaMethod method, DifferentiationOptions options, Sweep sweep, int width) {
        return lower(method, options, sweep, width, java.util.Set.of());
    }

    private LoweredModule lower(JavaMethod method, DifferentiationOptions options, Sweep sweep, int width,
                                java.util.Set<Integer> constantLoopArrays) {
        // Gradients and fast-math derivatives strip-mine long loops (see LoopPolling), strict tangents poll every
        // iteration.
        return relaxed(lower(method, sweep, width, options.fastMath() || sweep == Sweep.REVERSE
                ? LoopPolling.CHUNKED_WHEN_LONG : LoopPolling.EVERY_ITERATION, constantLoopArrays), options);
    }

    private static LoweredModule relaxed(LoweredModule lowered, DifferentiationOptions options) {
        return options.fastMath() ? lowered.withFastMath() : lowered;
    }

    /** {@link #jit(JavaMethod, DifferentiationOptions)} with the default, strict options. */
    public NativeMethod jit(JavaMethod method) {
        return jit(method, DifferentiationOptions.DEFAULT);
    }

    /**
     * The method compiled at O3 without AD and bound with its own Java type. Compiling the same method again (with
     * the same {@link DifferentiationOptions#fastMath()}) releases the previous native code. Of the options only
     * {@code fastMath} applies: reassociation and contraction allowed ({@link LoweredModule#withFastMath()}). A
     * method taking lambdas is compiled per lambda site at its first call ({@link LambdaDispatch}): the handle takes
     * each lambda as an {@code Object}.
     *
     * @throws jenzyme.runtime.error.LoweringException if the method (or one it calls) is outside the subset
     * @throws jenzyme.runtime.error.JitException if LLVM could not compile the module
     * @throws jenzyme.runtime.error.BindingException if FFM could not bind the entry point
     */
    public synchronized NativeMethod jit(JavaMethod method, DifferentiationOptions options) {
        NativeMethod compiled;
        EntryPoint unspecialised = lambdaEntry(method);
        if (unspecialised != null) {
            refuseArrayResult(unspecialised);
            compiled = LambdaDispatch.nativeMethod(this, lambdaHub(unspecialised), method, unspecialised, options);
        } else {
            // Loops strip-mined, so they may vectorise; derivatives keep polling every iteration (see LoopPolling).
            compiled = bindNative(relaxed(lower(method, Sweep.PRIMAL, 1, LoopPolling.CHUNKED), options), method);
        }
        NativeMethod previous = jitted.put(new JitKey(method, options.fastMath()), compiled);
        if (previous != null) {
            previous.close();
        }
        return compiled;
    }

    private static void refuseArrayResult(EntryPoint entry) {
        // a record result's length is its leaf count, which the binding knows; an array's only the JVM's f knows
        if (entry.returnsArray() && entry.resultRecord().isEmpty()) {
            throw new jenzyme.runtime.error.BindingException(Messages.NATIVE_ARRAY_RESULT.format(
                    entry.methodAsWritten()));
        }
    }

    /** {@link #jit} of a method without lambda parameters, not kept: the caller closes it (checkpointing's pieces). */
    NativeMethod compile(JavaMethod method, DifferentiationOptions options) {
        return bindNative(relaxed(lower(method, Sweep.PRIMAL, 1, LoopPolling.CHUNKED), options), method);
    }

    /** A lowered module compiled at O3 and bound with the method's own type: {@link #jit}, per lambda too. */
    NativeMethod bindNative(LoweredModule lowered, JavaMethod method) {
        refuseArrayResult(lowered.entry());
        provideJvmCalls(lowered, method);
        jenzyme.runtime.lower.Interruption.poll();
        JitModule code = jit.add(lowered.moduleName(), lowered.bitcode(), true);
        try {
            EntryPoint entry = lowered.entry();
            NativeSignature signature = NativeSignature.of(entry);
            MethodHandle copyingCall = NativeBinder.bindCopying(code.address(entry.symbol()), signature, code::isLive,
                    entry.symbol());
            if (lowered.callsBack()) {
                copyingCall = JvmCalls.raisingAfter(copyingCall, entry.symbol());
            }
            // Guarded: the code stays until calls in flight return, however soon the method is compiled again.
            MethodHandle copying = withFields(code.guard(copyingCall), entry, method);
            MethodHandle handle = lowered.callsBack() ? copying : withFields(code.guard(
                    NativeBinder.bind(code.address(entry.symbol()), signature, code::isLive, entry.symbol())),
                    entry, method);
            return new NativeMethod(lowered, code, handle, copying);
        } catch (RuntimeException e) {
            code.close();
            throw e;
        }
    }

    /** {@code handle} with the static fields the code reads supplied at each call: the Java method's own type. */
    private static MethodHandle withFields(MethodHandle handle, EntryPoint entry, JavaMethod method) {
        return StaticFieldReads.supply(handle, entry.parameters().size(),
                entry.fields().stream().map(FieldParameter::field).toList(), method.classes());
    }

    /** Reverse mode (gradients): {@link #differentiate} with {@link Mode#REVERSE}. */
    public Derivative reverse(JavaMethod method, Map<String, Activity> overrides, DifferentiationOptions options) {
        return differentiate(method, Mode.REVERSE, overrides, options);
    }

    /**
     * Reverse mode in bounded memory: the method's main loop is run again segment by segment, from states stored
     * every {@code segment} iterations ({@code 0}: chosen as it runs), see {@link CheckpointedReverse}. The
     * derivative has the same handle as {@link #reverse}'s.
     *
     * @throws jenzyme.runtime.error.DifferentiationException if the method's loop cannot be checkpointed
     */
    public Derivative reverseCheckpointed(JavaMethod method, Map<String, Activity> overrides,
                                          DifferentiationOptions options, int segment) {
        EntryPoint entry = lower(method, options, Sweep.REVERSE, 1).entry();
        return CheckpointedReverse.derivative(this, method, entry, overrides, options, segment);
    }

    /** Forward mode (tangents): {@link #differentiate} with {@link Mode#FORWARD}. */
    public Derivative forward(JavaMethod method, Map<String, Activity> overrides, DifferentiationOptions options) {
        return differentiate(method, Mode.FORWARD, overrides, options);
    }

    /**
     * The derivative of {@code method} in Enzyme's convention (see {@link Derivative#handle()}), with the default
     * activities (floating scalars Active, floating arrays Duplicated, the rest Const) and {@code overrides}
     * (parameter name → activity) applied.
     *
     * @throws DifferentiationException if an override names no parameter or does not fit its type
     * @throws jenzyme.runtime.error.LoweringException if the method is outside the supported subset
     * @throws jenzyme.runtime.error.DifferentiationException if Enzyme or LLVM refused the module
     * @throws jenzyme.runtime.error.WorkerException if the worker crashed, timed out, or was {@link #cancel}led
     * @throws jenzyme.runtime.error.JitException if the worker's module could not be compiled
     */
    public Derivative differentiate(JavaMethod method, Mode mode, Map<String, Activity> overrides,
                                    DifferentiationOptions options) {
        return differentiate(method, mode, overrides, options, 1);
    }

    /**
     * Enzyme's vector mode when {@code width > 1}: the handle's shadows and tangents are lane tables
     * ({@link jenzyme.runtime.bind.LaneTable}), one sweep giving {@code width} directional derivatives (forward) or
     * pullbacks of {@code width} cotangents (reverse, without active scalars: {@link CallingConvention#of}).
     */
    public Derivative differentiate(JavaMethod method, Mode mode, Map<String, Activity> overrides,
                                    DifferentiationOptions options, int width) {
        EntryPoint unspecialised = lambdaEntry(method);
        if (unspecialised != null) {
            return LambdaDispatch.derivative(this, lambdaHub(unspecialised), method, unspecialised, mode, overrides,
                    options, width);
        }
        Timings timings = new Timings();
        Sweep sweep = mode == Mode.FORWARD ? Sweep.FORWARD : Sweep.REVERSE;
        LoweredModule lowered = timings.time("lowering", () -> lower(method, options, sweep, width));
        CallingConvention convention = CallingConvention.of(lowered.entry(), mode, overrides, options.primalReturn(),
                width);
        return differentiate(method, lowered, sites -> lower(method, options, sweep, width, sites), convention,
                options, timings, "");
    }

    /** The entry of a method taking lambdas before a call names them ({@link LambdaDispatch}), else null. */
    private EntryPoint lambdaEntry(JavaMethod method) {
        if (method.descriptor().indexOf('L') < 0) {
            return null;
        }
        EntryPoint unspecialised = new BytecodeLowering(method.classes()).unspecialisedEntry(
                method.ownerInternalName(), method.name(), method.descriptor());
        return LambdaDispatch.takesLambdas(unspecialised) ? unspecialised : null;
    }

    /** What holds the code compiled per lambda site: closing it frees them all. */
    JitModule lambdaHub(EntryPoint unspecialised) {
        return jit.add(unspecialised.symbol() + ".lambdas", BytecodeLowering.emptyModule(unspecialised.symbol()),
                false);
    }

    /** A lowered (specialised) module differentiated and bound: {@link LambdaDispatch} at a call. */
    Derivative differentiate(JavaMethod method, LoweredModule lowered, Relowering again, CallingConvention convention,
                             DifferentiationOptions options) {
        return differentiate(method, lowered, again, convention, options, new Timings(), "");
    }

    /**
     * The Jacobian of a vector function ({@code double[] f(double[] x, ...)} or {@code void f(double[] x, ...,
     * double[] y)}), see {@link JacobianOptions}: forward mode in {@code width}-lane sweeps, reverse mode, or both
     * (then each call picks by the shape of the Jacobian).
     *
     * @throws jenzyme.runtime.error.DifferentiationException if the method has no such input and output
     */
    public Jacobian jacobian(JavaMethod method, JacobianOptions options) {
        Timings timings = new Timings();
        DifferentiationOptions how = DifferentiationOptions.DEFAULT.withFastMath(options.fastMath());
        EntryPoint unspecialised = lambdaEntry(method);
        if (unspecialised != null) {
            return LambdaDispatch.jacobian(this, method, unspecialised, options, how);
        }
        LoweredModule lowered = timings.time("lowering", () -> lower(method, how, Sweep.FORWARD, options.width()));
        JacobianShape shape = JacobianShape.of(lowered.entry(), options.wrt(), options.out());
        Derivative forward = null;
        Derivative reverse = null;
        try {
            if (options.mode().orElse(Mode.FORWARD) == Mode.FORWARD) {
                forward = differentiate(method, lowered, sites -> lower(method, how, Sweep.FORWARD, options.width(),
                        sites), CallingConvention.of(lowered.entry(), Mode.FORWARD, shape.activities(), true,
                        options.width()), how, timings, "forward ");
            }
            if (options.mode().orElse(Mode.REVERSE) == Mode.REVERSE) {
                // A rule's glue differs by sweep, and a forward lowering may free memory out of Enzyme's sight: the
                // reverse derivative needs its own lowering then.
                LoweredModule forReverse = rules.isEmpty() && !lowered.forwardOnly() ? lowered
                        : lower(method, how, Sweep.REVERSE, 1);
                // Rows per sweep, as forward sweeps give columns (Enzyme's vector reverse mode); a rule's reverse
                // glue has one lane.
                int rows = rules.isEmpty() ? options.width() : 1;
                reverse = differentiate(method, forReverse, Relowering.NONE, CallingConvention.of(forReverse.entry(),
                        Mode.REVERSE, shape.activities(), true, rows), how, new Timings(), "reverse ");
            }
            // A compressed Jacobian whose colours are fewer than the lanes compiles a narrower forward derivative.
            IntFunction<Derivative> forwardOfWidth = width -> {
                LoweredModule narrow = lower(method, how, Sweep.FORWARD, width);
                return differentiate(method, narrow, sites -> lower(method, how, Sweep.FORWARD, width, sites),
                        CallingConvention.of(narrow.entry(), Mode.FORWARD, shape.activities(), true, width), how,
                        new Timings(), "forward ");
            };
            // The tracer follows arrays and numbers, not the leaves an object from the JVM travels as: dense.
            boolean traceable = !options.dense() && lowered.entry().copiedObject().isEmpty();
            return new Jacobian(shape, forward, reverse, traceable ? method.classes() : null, method.classes(),
                    rules.stream().map(DerivativeRule::primal).collect(java.util.stream.Collectors.toSet()),
                    forwardOfWidth);
        } catch (RuntimeException e) {
            if (forward != null) {
                forward.close();
            }
            throw e;
        }
    }

    /** {@code lowered} differentiated ({@link #differentiated}) and bound. */
    private Derivative differentiate(JavaMethod method, LoweredModule lowered, Relowering again,
                                     CallingConvention convention, DifferentiationOptions options, Timings timings,
                                     String phasePrefix) {
        refuseMixedActivity(lowered, convention);
        // a gradient written into its shadows (f_grad_set) comes from the worker's second wrapper where it can make one
        DifferentiationOptions asked = options.withOverwrite(ShadowZeroing.applies(convention))
                .withDeferredPostOptimisation(deferPostOptimisation && !options.fastMath());
        Differentiated done = differentiated(lowered, again, next -> request(next.bitcode(),
                next.entry().symbol(), convention.wrapperLayout()).withOptions(asked));
        DifferentiatedModule module = done.module();
        module.timings().forEach((phase, time) -> timings.put(phasePrefix + phase.name().toLowerCase(), time));
        String suffix = "." + convention.mode().name().toLowerCase()
                + (convention.width() > 1 ? "x" + convention.width() : "");
        provideJvmCalls(done.lowered(), method);
        return jitAndBind(done.lowered(), suffix, module, timings,
                code -> DerivativeBinder.bind(code::address, convention, module.wrapper(), module.overwriting(),
                        module.overwritingParts(),
                        code::isLive, method.classes(), done.lowered().callsBack()), convention);
    }

    /** What Enzyme differentiated: the module as finally lowered, and the worker's answer for it. */
    private record Differentiated(LoweredModule lowered, DifferentiatedModule module) {}

    /**
     * The worker's answer for {@code lowered}. When Enzyme refuses arrays allocated in loops that hold no derivative
     * ({@link jenzyme.runtime.lower.ConstantLoopArrays}), the method is lowered {@code again} with those arrays
     * inactive, until Enzyme names no new one; then its refusal is told in the user's words.
     */
    private Differentiated differentiated(LoweredModule lowered, Relowering again,
                                          java.util.function.Function<LoweredModule, DifferentiationRequest> request) {
        java.util.Set<Integer> constantLoopArrays = new java.util.TreeSet<>();
        while (true) {
            try {
                return new Differentiated(lowered, worker().differentiate(request.apply(lowered)));
            } catch (jenzyme.runtime.error.DifferentiationException refused) {
                java.util.Set<Integer> named = jenzyme.runtime.lower.ConstantLoopArrays.named(refused.workerMessage());
                LoweredModule relowered = constantLoopArrays.addAll(named) ? again.with(constantLoopArrays) : null;
                if (relowered == null) {
                    throw jenzyme.runtime.lower.SharedArray.inWords(refused, lowered.entry());
                }
                lowered = relowered;
            }
        }
    }

    /** The worker's answer to {@code request} for {@code lowered}; Enzyme's "mixed activity" in the user's words. */
    private DifferentiatedModule differentiate(LoweredModule lowered, DifferentiationRequest request) {
        try {
            return worker().differentiate(request);
        } catch (jenzyme.runtime.error.DifferentiationException refused) {
            throw jenzyme.runtime.lower.SharedArray.inWords(refused, lowered.entry());
        }
    }

    /**
     * A variable (of the entry or a callee) that holds a Const array parameter and another array, refused at its line
     * in the user's words before Enzyme refuses it in its own ({@link jenzyme.runtime.lower.ConstantArrays}).
     */
    private static void refuseMixedActivity(LoweredModule lowered, CallingConvention convention) {
        java.util.Set<String> constant = new java.util.HashSet<>();
        for (int i = 0; i < convention.activities().size(); i++) {
            if (convention.activities().get(i) == Activity.CONST) {
                constant.add(lowered.entry().parameters().get(i).name());
            }
        }
        lowered.constantArrays().refusal(constant).ifPresent(refusal -> {
            throw refusal;
        });
    }

    /** Defines the upcalls {@code lowered} makes (its JVM methods, the rule-failure hook) in the JIT. */
    private void provideJvmCalls(LoweredModule lowered, JavaMethod method) {
        if (!lowered.callsBack()) {
            return;
        }
        jit.defineRuntimeSymbol(RuntimeSymbols.RULE_FAILED, JvmCalls.ruleFailedHook());
        for (MethodRef call : lowered.jvmCalls()) {
            String symbol = RuntimeSymbols.jvmCall(call);
            jit.defineRuntimeSymbol(symbol, JvmCalls.upcall(symbol, JvmCalls.ownerClass(method.classes(), call.owner()),
                    call.name(), call.descriptor().length() - 3));
        }
    }

    /**
     * H(p)·v of {@code double f(...)}, forward mode over the reverse-mode gradient: the worker differentiates the
     * gradient wrapper it produced. The handle is {@link HessianVectorBinder}'s: for {@code double f(double[] p)}
     * {@code (double[] p, double[] v, double[] hv, double[] out)void}.
     */
    public Derivative hvp(JavaMethod method) {
        return hvp(method, Map.of());
    }

    /**
     * {@link #hvp(JavaMethod)} with the array parameters {@code constants} names Const ({@code d=Const}): H·v in the
     * others only, the Const ones taking no direction ({@link CallingConvention#hvpGradient(EntryPoint, Map)}).
     */
    public Derivative hvp(JavaMethod method, Map<String, Activity> constants) {
        EntryPoint unspecialised = lambdaEntry(method);
        if (unspecialised != null) {
            return LambdaDispatch.hvp(this, lambdaHub(unspecialised), method, unspecialised, constants);
        }
        Timings timings = new Timings();
        return hvp(timings.time("lowering", () -> lower(method, Sweep.SECOND_ORDER, 1)), constants, timings);
    }

    /** A lowered (specialised) module's Hessian-vector product: {@link LambdaDispatch} at a call. */
    Derivative hvp(LoweredModule lowered, Map<String, Activity> constants) {
        return hvp(lowered, constants, new Timings());
    }

    private Derivative hvp(LoweredModule lowered, Map<String, Activity> constants, Timings timings) {
        CallingConvention gradient = CallingConvention.hvpGradient(lowered.entry(), constants);
        refuseMixedActivity(lowered, gradient);
        DifferentiatedModule reverse = differentiate(lowered, request(lowered.bitcode(), lowered.entry().symbol(),
                gradient.wrapperLayout()).withOptions(DifferentiationOptions.DEFAULT.withPrimalReturn(false)
                .withTapedMathResults(false).withDeferredFailureChecks(true)));
        gradient.check(reverse.wrapper());
        DifferentiatedModule hvp = overGradient(reverse, gradient.overGradient());
        reverse.timings().forEach((phase, time) -> timings.put("reverse " + phase.name().toLowerCase(), time));
        hvp.timings().forEach((phase, time) -> timings.put("forward " + phase.name().toLowerCase(), time));
        return jitAndBind(lowered, ".hvp", hvp, timings, code -> new DerivativeBinder.Bound(HessianVectorBinder.bind(
                code.address(hvp.wrapper().symbol()), gradient, hvp.wrapper(), code::isLive), Optional.empty()),
                gradient);
    }

    /**
     * Enzyme's forward sweep over the gradient. A method allocating a matrix inside a loop (one per Newton iteration
     * of each time step, NestedLoopMatricesTest) gives the gradient's tape growing allocations, and the rows' cells
     * phis, whose activity Enzyme cannot prove: it refuses them as "mixed activity" (measured: 1-D arrays and records
     * made in a loop go through, HessianLoopAllocationTest). Only then it is asked again with runtime activity, which
     * checks such pointers when the code runs (a shadow equal to its primal is constant): the checks cost time, so
     * the products that do not need them go without. Any other refusal, or a second one, stays in Enzyme's words.
     */
    private DifferentiatedModule overGradient(DifferentiatedModule reverse, WrapperLayout layout) {
        DifferentiationRequest request = request(reverse.bitcode(), reverse.wrapper().symbol(), layout);
        try {
            return worker().differentiate(request);
        } catch (jenzyme.runtime.error.DifferentiationException refused) {
            if (!refused.workerMessage().contains("Enzyme (mixed activity)")) {
                throw refused;
            }
            return worker().differentiate(request.withOptions(request.options().withRuntimeActivity(true)));
        }
    }

    /** The worker request whose answer is {@code layout}. */
    private static DifferentiationRequest request(byte[] bitcode, String function, WrapperLayout layout) {
        return new DifferentiationRequest(bitcode, function, layout.mode(), layout.width(), layout.arguments(),
                layout.returnActivity(), DifferentiationOptions.DEFAULT);
    }

    /**
     * A worker-made wrapper compiled in this pipeline's JIT, for callers that bind it themselves; with its overwriting
     * twin when the request asked for it and the worker made one ({@link DifferentiatedModule#overwriting()}).
     */
    public record CompiledWrapper(WrapperSignature wrapper, Optional<WrapperSignature> overwriting, JitModule code)
            implements AutoCloseable {
        @Override
        public void close() {
            code.close();
        }
    }

    /**
     * Differentiates a module that did not come from Java bytecode (the benchmark's clang-compiled C reference) in
     * the same worker and JIT as Java methods, so that only the frontend differs.
     */
    public CompiledWrapper differentiateBitcode(String moduleName, DifferentiationRequest request) {
        DifferentiatedModule module = worker().differentiate(request);
        return new CompiledWrapper(module.wrapper(), module.overwriting(),
                jit.add(moduleName, module.bitcode(), false));
    }

    /**
     * Abandons the worker request in flight, if any (a kernel interrupt): the waiting call raises a
     * {@link jenzyme.runtime.error.WorkerException} and the next request starts a fresh worker.
     *
     * @return whether a request was in flight
     */
    public boolean cancel() {
        WorkerClient running;
        synchronized (workerLock) {
            running = worker;
        }
        return running != null && running.cancel();
    }

    /** Stops the worker process; the next derivative starts a fresh one (the benchmark's cold compiles). */
    public void stopWorker() {
        synchronized (workerLock) {
            if (worker != null) {
                worker.close();
                worker = null;
            }
        }
    }

    @Override
    public synchronized void close() {
        jitted.clear();
        stopWorker();
        jit.close();
    }

    /** The worker, for a request the caller may have asked to stop meanwhile ({@link jenzyme.runtime.lower.Interruption}). */
    private WorkerClient worker() {
        jenzyme.runtime.lower.Interruption.poll();
        synchronized (workerLock) {
            if (worker == null) {
                worker = startWorker.get();
            }
            return worker;
        }
    }

    /** Compiles the worker's module (see {@link OrcJit#addWorkerModule}) and binds its wrapper; frees the code if binding fails. */
    private Derivative jitAndBind(LoweredModule lowered, String suffix, DifferentiatedModule module, Timings timings,
                                  Function<JitModule, DerivativeBinder.Bound> binder,
                                  CallingConvention convention) {
        jenzyme.runtime.lower.Interruption.poll();
        String passes = module.postOptimisation().orElse("");
        JitModule code = timings.time("jit", () -> jit.addWorkerModule(lowered.moduleName() + suffix, module.bitcode(),
                passes));
        try {
            DerivativeBinder.Bound bound = timings.time("bind", () -> binder.apply(code));
            return new Derivative(convention, module.wrapper(), code.guard(bound.handle()),
                    bound.overwriting().map(code::guard), timings.phases(),
                    module.irBeforeEnzyme().orElse(""), module.irAfterEnzyme().orElse(""), lowered.loweredMethods(),
                    code, module.bitcode(), passes);
        } catch (RuntimeException e) {
            code.close();
            throw e;
        }
    }

    /** What {@link #jit} keeps one compiled version of. */
    private record JitKey(JavaMethod method, boolean fastMath) {}

    /** How long each phase took, in pipeline order. */
    private static final class Timings {
        private final Map<String, Duration> phases = new LinkedHashMap<>();

        <T> T time(String phase, Supplier<T> work) {
            long start = System.nanoTime();
            T result = work.get();
            phases.put(phase, Duration.ofNanos(System.nanoTime() - start));
            return result;
        }

        void put(String phase, Duration time) {
            phases.put(phase, time);
        }

        Map<String, Duration> phases() {
            return phases;
        }
    }
}
