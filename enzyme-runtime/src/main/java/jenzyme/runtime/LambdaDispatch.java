package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.lower.BytecodeLowering;
import jenzyme.runtime.lower.DerivativeRules;
import jenzyme.runtime.lower.EntryLambda;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.LoopPolling;
import jenzyme.runtime.lower.LoweredModule;
import jenzyme.runtime.lower.RecordShape;

/**
 * The derivative of a method with functional-interface parameters ({@code double[] solve(Rhs f, double[] y0, ...)}):
 * compiled per lambda target, at the first call that passes it. The binding's handle takes each lambda as an
 * {@code Object} where the unspecialised convention has the parameter (no native parameter of its own); a call
 * looks up the code for the lambdas' classes (one hidden class per lambda site, so per target), compiling it on the
 * first call, and passes what the lambdas captured as that code's Const parameters ({@code f.captured0}, ...).
 * Compiling takes as long as {@code %autodiff} of the method; later calls with the same lambda site cost a lookup
 * in a map and the reads of the captured values.
 */
final class LambdaDispatch {

    /**
     * What is compiled per lambda site: a derivative ({@code %autodiff}) or the method itself ({@code %jit}). The
     * dispatch only needs the type of the code's handle and where each native parameter sits in it.
     */
    interface Target {
        /** The type of the handle of code compiled from {@code entry} (the unspecialised one has no lambda leaves). */
        MethodType type(EntryPoint entry);

        /** Refuses, in the user's words, a specialisation this target cannot run right (before compiling it). */
        default void check(EntryPoint specialised) {}

        /** The handle position of native parameter {@code p} of {@code entry}: what the ones before it take. */
        int position(EntryPoint entry, int p);

        /** How a call's module is lowered: loops polling as this code needs. */
        LoopPolling polling();

        /** How a call's module is lowered: for the sweep this code differentiates (no rules: lambdas bypass them). */
        default DerivativeRules rules() {
            return DerivativeRules.NONE;
        }

        /**
         * The specialised module compiled and bound; its code is closed with {@code hub}. {@code again} lowers it once
         * more, with loop arrays Enzyme found constant allocated inactive ({@link Pipeline.Relowering}).
         */
        MethodHandle compile(LoweredModule lowered, Pipeline.Relowering again, JitModule hub);
    }

    /** {@code %autodiff}: the derivative of each specialisation in the mode and activities asked for. */
    private record DerivativeTarget(Pipeline pipeline, JavaMethod method, Mode mode, Map<String, Activity> overrides,
                                    DifferentiationOptions options, int width,
                                    java.util.function.Consumer<EntryPoint> checks) implements Target {
        @Override
        public void check(EntryPoint specialised) {
            checks.accept(specialised);
        }

        CallingConvention convention(EntryPoint entry) {
            return CallingConvention.of(entry, mode, overrides, options.primalReturn(), width);
        }

        @Override
        public MethodType type(EntryPoint entry) {
            return convention(entry).handleType();
        }

        @Override
        public int position(EntryPoint entry, int p) {
            return (int) convention(entry).handleParameters().stream()
                    .filter(h -> h.javaParameter() >= 0 && h.javaParameter() < p).count();
        }

        @Override
        public LoopPolling polling() {
            return LoopPolling.EVERY_ITERATION;
        }

        /**
         * Forward mode lowers for the forward sweep, as {@link Pipeline#differentiate} does: a matrix allocated in a
         * loop inside a loop then has its row-length table inactive (else Enzyme refused the nested Newton solve of a
         * method taking a lambda as "mixed activity"), and constant loop arrays can be made inactive.
         */
        @Override
        public DerivativeRules rules() {
            return mode == Mode.FORWARD ? DerivativeRules.of(List.of(), DerivativeRules.Sweep.FORWARD, width)
                    : DerivativeRules.NONE;
        }

        @Override
        public MethodHandle compile(LoweredModule lowered, Pipeline.Relowering again, JitModule hub) {
            Derivative derivative = pipeline.differentiate(method, lowered, again, convention(lowered.entry()), options);
            hub.closeWith(derivative);
            return derivative.handle();
        }
    }

    /** {@code %jit}: each specialisation compiled without AD, with the method's own type. */
    private record NativeTarget(Pipeline pipeline, JavaMethod method) implements Target {
        @Override
        public MethodType type(EntryPoint entry) {
            return MethodType.methodType(entry.returnType().javaClass(),
                    entry.parameters().stream().<Class<?>>map(p -> p.type().javaClass()).toList());
        }

        @Override
        public int position(EntryPoint entry, int p) {
            return p;
        }

        @Override
        public LoopPolling polling() {
            return LoopPolling.CHUNKED; // as Pipeline.jit: loops may vectorise
        }

        @Override
        public MethodHandle compile(LoweredModule lowered, Pipeline.Relowering again, JitModule hub) {
            NativeMethod compiled = pipeline.bindNative(lowered, method);
            hub.closeWith(compiled);
            return compiled.handle();
        }
    }

    /** {@code %autodiff hvp}: each specialisation's Hessian-vector product. */
    private record HessianTarget(Pipeline pipeline, Map<String, Activity> constants) implements Target {
        @Override
        public MethodType type(EntryPoint entry) {
            return jenzyme.runtime.bind.HessianVectorBinder.handleType(CallingConvention.hvpGradient(entry, constants));
        }

        @Override
        public int position(EntryPoint entry, int p) {
            return jenzyme.runtime.bind.HessianVectorBinder.position(CallingConvention.hvpGradient(entry, constants),
                    p);
        }

        @Override
        public LoopPolling polling() {
            return LoopPolling.EVERY_ITERATION;
        }

        @Override
        public MethodHandle compile(LoweredModule lowered, Pipeline.Relowering again, JitModule hub) {
            Derivative hvp = pipeline.hvp(lowered, constants);
            hub.closeWith(hvp);
            return hvp.handle();
        }
    }

    private final JavaMethod method;
    private final Target target;
    private final boolean fastMath;
    private final EntryPoint unspecialised;
    private final List<Integer> lambdas = new ArrayList<>();
    /** The handle's type with the lambdas first: what each specialisation is adapted to. */
    private final MethodType lambdasFirst;
    private final Map<List<Class<?>>, MethodHandle> specialised = new ConcurrentHashMap<>();
    private final JitModule hub;

    private LambdaDispatch(JavaMethod method, EntryPoint unspecialised, Target target, boolean fastMath,
                           JitModule hub) {
        this.method = method;
        this.unspecialised = unspecialised;
        this.target = target;
        this.fastMath = fastMath;
        this.hub = hub;
        List<EntryPoint.JavaParameter> declared = unspecialised.declared();
        for (int i = 0; i < declared.size(); i++) {
            if (declared.get(i).shape() instanceof RecordShape shape && shape.isFunctional()) {
                lambdas.add(i);
            }
        }
        MethodType type = target.type(unspecialised);
        for (int j = 0; j < lambdas.size(); j++) {
            type = type.insertParameterTypes(j, Object.class);
        }
        this.lambdasFirst = type;
    }

    /**
     * The parameters of {@code derivative}'s handle in order: its convention's {@link
     * CallingConvention#handleParameters()}, with null where the handle takes a lambda. Only a dispatching handle
     * ({@link #derivative}) takes an {@code Object}; every other handle parameter is a primitive or an array, so the
     * lambdas' places are read off the handle's type. For callers that pass arguments by position (Jacobians,
     * batched forward mode): a lambda is passed on like any Const argument.
     */
    static List<CallingConvention.HandleParameter> handleParameters(Derivative derivative) {
        List<CallingConvention.HandleParameter> conventional = derivative.convention().handleParameters();
        List<CallingConvention.HandleParameter> parameters = new ArrayList<>();
        int next = 0;
        for (Class<?> type : derivative.handle().type().parameterList()) {
            parameters.add(type == Object.class ? null : conventional.get(next++));
        }
        return parameters;
    }

    /** Whether the method takes a lambda (then {@link #derivative} compiles per target). */
    static boolean takesLambdas(EntryPoint unspecialised) {
        return unspecialised.declared().stream()
                .anyMatch(p -> p.shape() instanceof RecordShape shape && shape.isFunctional());
    }

    /**
     * A derivative whose handle dispatches on the lambdas: {@link CallingConvention#handleType()} of the
     * unspecialised method with an {@code Object} at the place of each lambda parameter. Closing it frees every
     * specialisation compiled so far.
     */
    static Derivative derivative(Pipeline pipeline, JitModule hub, JavaMethod method, EntryPoint unspecialised,
                                 Mode mode, Map<String, Activity> overrides, DifferentiationOptions options,
                                 int width) {
        return derivative(pipeline, hub, method, unspecialised, mode, overrides, options, width, entry -> { });
    }

    /** {@link #derivative} whose specialisations {@code checks} may refuse before they are compiled. */
    private static Derivative derivative(Pipeline pipeline, JitModule hub, JavaMethod method,
                                         EntryPoint unspecialised, Mode mode, Map<String, Activity> overrides,
                                         DifferentiationOptions options, int width,
                                         java.util.function.Consumer<EntryPoint> checks) {
        CallingConvention generic = CallingConvention.of(unspecialised, mode, overrides, options.primalReturn(), width);
        LambdaDispatch dispatch = new LambdaDispatch(method, unspecialised, new DerivativeTarget(pipeline, method,
                mode, Map.copyOf(overrides), options, width, checks), options.fastMath(), hub);
        MethodHandle handle = hub.guard(dispatch.handle());
        return new Derivative(generic, new WrapperSignature(unspecialised.symbol(), generic.wrapperParameters(),
                generic.slots()), handle, Map.of(), "", "", reached(method), hub, new byte[0]);
    }

    /**
     * {@code %jit} of a method taking lambdas: a handle of the method's own type (the lambdas as {@code Object}s)
     * compiling each lambda site at its first call. Its module holds no code (the specialisations are compiled at
     * calls); closing it frees them.
     */
    static NativeMethod nativeMethod(Pipeline pipeline, JitModule hub, JavaMethod method, EntryPoint unspecialised,
                                     DifferentiationOptions options) {
        LambdaDispatch dispatch = new LambdaDispatch(method, unspecialised, new NativeTarget(pipeline, method),
                options.fastMath(), hub);
        MethodHandle handle = hub.guard(dispatch.handle());
        return new NativeMethod(BytecodeLowering.placeholder(unspecialised, reached(method)), hub, handle, handle);
    }

    /** {@code %autodiff hvp} of a method taking lambdas, its handle as the unspecialised gradient's H·v handle. */
    static Derivative hvp(Pipeline pipeline, JitModule hub, JavaMethod method, EntryPoint unspecialised,
                          Map<String, Activity> constants) {
        CallingConvention gradient = CallingConvention.hvpGradient(unspecialised, constants);
        LambdaDispatch dispatch = new LambdaDispatch(method, unspecialised, new HessianTarget(pipeline, constants),
                false, hub);
        return new Derivative(gradient, new WrapperSignature(unspecialised.symbol(), gradient.wrapperParameters(),
                gradient.slots()), hub.guard(dispatch.handle()), Map.of(), "", "", reached(method), hub, new byte[0]);
    }

    /** The methods it reaches (its callees, the lambdas it creates): a binding retires when one changes. */
    private static List<String> reached(JavaMethod method) {
        return new jenzyme.runtime.lower.SubsetExplainer(method.classes()).reachable(method.ownerInternalName(),
                method.name(), method.descriptor());
    }

    /**
     * The Jacobian of a method taking lambdas: its forward and reverse derivatives dispatch on the lambdas a call
     * passes, each compiled for a lambda site at its first call with it; its narrower forward derivatives too. The
     * sweeps restore every array parameter ({@link jenzyme.runtime.ad.JacobianShape#restoredBetweenSweeps}); a
     * specialisation writing and reading back what they cannot restore (an array a lambda captured, a static array)
     * is refused at that first call ({@link jenzyme.runtime.ad.JacobianShape#refuseUnrestored}).
     */
    static Jacobian jacobian(Pipeline pipeline, JavaMethod method, EntryPoint unspecialised,
                             jenzyme.runtime.ad.JacobianOptions options, DifferentiationOptions how) {
        jenzyme.runtime.ad.JacobianShape shape = jenzyme.runtime.ad.JacobianShape.of(unspecialised, options.wrt(),
                options.out());
        Derivative forward = null;
        Derivative reverse = null;
        try {
            java.util.function.IntFunction<Derivative> forwardOfWidth = width -> derivative(pipeline,
                    pipeline.lambdaHub(unspecialised), method, unspecialised, Mode.FORWARD, shape.activities(), how,
                    width, shape::refuseUnrestored);
            if (options.mode().orElse(Mode.FORWARD) == Mode.FORWARD) {
                forward = forwardOfWidth.apply(options.width());
            }
            if (options.mode().orElse(Mode.REVERSE) == Mode.REVERSE) {
                reverse = derivative(pipeline, pipeline.lambdaHub(unspecialised), method, unspecialised, Mode.REVERSE,
                        shape.activities(), how, options.width(), shape::refuseUnrestored);
            }
            // Compressed like any Jacobian: the tracer follows the lambdas' calls (their specialisations use no rules).
            return new Jacobian(shape, forward, reverse, options.dense() ? null : method.classes(), method.classes(),
                    java.util.Set.of(), forwardOfWidth);
        } catch (RuntimeException e) {
            if (forward != null) {
                forward.close();
            }
            throw e;
        }
    }

    /** (lambdas and parameters in declared order...) → the specialisation's handle, invoked. */
    private MethodHandle handle() {
        try {
            MethodHandle select = MethodHandles.lookup().findVirtual(LambdaDispatch.class, "select",
                    MethodType.methodType(MethodHandle.class, Object[].class)).bindTo(this)
                    .asCollector(Object[].class, lambdas.size());
            MethodHandle front = MethodHandles.foldArguments(MethodHandles.exactInvoker(lambdasFirst), select);
            // Back to the declared order: each lambda where the unspecialised handle has its (absent) leaves.
            int count = lambdas.size();
            MethodType generic = target.type(unspecialised);
            List<Class<?>> generics = generic.parameterList();
            int[] positions = new int[count];
            for (int j = 0; j < count; j++) {
                positions[j] = target.position(unspecialised, unspecialised.declared().get(lambdas.get(j)).first());
            }
            int[] reorder = new int[count + generics.size()];
            Class<?>[] declaredOrder = new Class<?>[reorder.length];
            for (int j = 0; j < count; j++) {
                reorder[j] = positions[j] + j;
                declaredOrder[reorder[j]] = Object.class;
            }
            for (int r = 0; r < generics.size(); r++) {
                int before = r;
                reorder[count + r] = r + (int) Arrays.stream(positions).filter(p -> p <= before).count();
                declaredOrder[reorder[count + r]] = generics.get(r);
            }
            return MethodHandles.permuteArguments(front, MethodType.methodType(generic.returnType(), declaredOrder),
                    reorder);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The code for these lambdas' targets, compiled at the first call with them. */
    private MethodHandle select(Object[] arguments) {
        List<Class<?>> key = Arrays.stream(arguments).map(a -> a == null ? null : a.getClass())
                .collect(java.util.stream.Collectors.toList());
        MethodHandle known = specialised.get(key);
        return known != null ? known : compile(key, arguments);
    }

    private synchronized MethodHandle compile(List<Class<?>> key, Object[] arguments) {
        MethodHandle known = specialised.get(key);
        if (known != null) {
            return known;
        }
        List<EntryLambda> entryLambdas = new ArrayList<>();
        for (int j = 0; j < lambdas.size(); j++) {
            int parameter = lambdas.get(j);
            entryLambdas.add(EntryLambda.of(parameter, unspecialised.declared().get(parameter).name(), arguments[j],
                    method.classes()));
        }
        Pipeline.Relowering lowering = constantLoopArrays -> {
            LoweredModule lowered = new BytecodeLowering(method.classes(), target.rules())
                    .withConstantLoopArrays(constantLoopArrays).lower(method.ownerInternalName(), method.name(),
                            method.descriptor(), entryLambdas, target.polling());
            return fastMath ? lowered.withFastMath() : lowered;
        };
        LoweredModule lowered = lowering.with(java.util.Set.of());
        target.check(lowered.entry());
        MethodHandle adapted = adapt(target.compile(lowered, lowering, hub), lowered.entry(), entryLambdas);
        specialised.put(key, adapted);
        return adapted;
    }

    /** The specialisation's handle taking the lambdas first (as Objects) instead of their captured values. */
    private MethodHandle adapt(MethodHandle handle, EntryPoint entry, List<EntryLambda> entryLambdas) {
        int[] reorder = new int[handle.type().parameterCount()];
        boolean[] capture = new boolean[reorder.length];
        MethodHandle filtered = handle;
        for (int j = 0; j < entryLambdas.size(); j++) {
            EntryLambda lambda = entryLambdas.get(j);
            int first = entry.declared().get(lambda.parameter()).first();
            List<MethodHandle> leaves = new ArrayList<>();
            for (int c = 0; c < lambda.captures().size(); c++) {
                Field field = lambda.captures().get(c);
                leaves(getter(field).asType(MethodType.methodType(field.getType(), Object.class)), field.getType(),
                        lambda.captured().get(c), leaves);
            }
            for (int leaf = 0; leaf < leaves.size(); leaf++) {
                int position = target.position(entry, first + leaf);
                filtered = MethodHandles.filterArguments(filtered, position, leaves.get(leaf));
                reorder[position] = j;
                capture[position] = true;
            }
        }
        int rest = entryLambdas.size();
        for (int i = 0; i < reorder.length; i++) {
            if (!capture[i]) {
                reorder[i] = rest++;
            }
        }
        return MethodHandles.permuteArguments(filtered, lambdasFirst, reorder);
    }

    /**
     * Adds a reader {@code (Object lambda) -> leaf} per native leaf of a captured value read by {@code read} (of
     * class {@code type}): the value itself, or a record's or object's fields depth first ({@code this::rhs}).
     */
    private static void leaves(MethodHandle read, Class<?> type, jenzyme.runtime.lower.Shape shape,
                               List<MethodHandle> out) {
        if (!(shape instanceof RecordShape value)) {
            out.add(read);
            return;
        }
        for (RecordShape.Component component : value.components()) {
            try {
                Field field = type.getDeclaredField(component.name());
                leaves(MethodHandles.filterReturnValue(read, getter(field)), field.getType(), component.shape(), out);
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Reads {@code field} (private ones too: the notebook's classes are in the unnamed module, open to us). */
    private static MethodHandle getter(Field field) {
        try {
            return MethodHandles.privateLookupIn(field.getDeclaringClass(), MethodHandles.lookup())
                    .unreflectGetter(field);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
