package jenzyme.runtime.bind;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.CallingConvention.Feed;
import jenzyme.runtime.ad.CallingConvention.HandleParameter;
import jenzyme.runtime.ad.WrapperLayout;
import jenzyme.runtime.ad.WrapperParameter;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.NativeParameter;

/**
 * Pipeline stage 4 for Hessian-vector products: binds the worker's forward-mode wrapper of the reverse-mode
 * wrapper ({@link CallingConvention#overGradient()}) as a Java handle. For each native parameter of the method it
 * takes the value; after a differentiated one its direction (v), and after a differentiated array the array that
 * receives its part of H·v; last a {@code double[] out} whose slots (the gradient's adjoint slots, {@link
 * CallingConvention#adjointSlot}) receive the parts of H·v of the Active scalars. For {@code double f(double[] p)}
 * that is {@code (double[] p, double[] v, double[] hv, double[] out)}. The gradient itself is scratch (its tangent
 * is H·v); the results are zeroed first because Enzyme accumulates into them.
 *
 * <p>The handle is one chain of method handles, as {@link DerivativeBinder}'s: the checks, the thread's status
 * block, each array passed as the thread's cached heap segment ({@link ArraySegments}) and the gradient's scratch
 * kept per thread ({@link ThreadScratch}), so a call allocates nothing once compiled ({@code
 * HessianVectorAllocationTest}). Before, each call collected its arguments into an {@code Object[]}, boxed its
 * scalars and made its scratch arrays, status block and segments afresh.
 */
public final class HessianVectorBinder {

    private static final MethodHandle CHECK_GIVEN;
    private static final MethodHandle CHECK_RESULT;
    private static final MethodHandle CHECK_APART;
    private static final MethodHandle ZERO;
    private static final MethodHandle CHECK_OUT;
    /**
     * The forward pass's own output slots: it has none, so nothing is written. A heap segment, not
     * {@code MemorySegment.NULL}, so that the binding passes only heap segments ({@code CallRoute}'s heap-only
     * downcalls, as the other derivative bindings).
     */
    private static final MemorySegment NO_SLOTS = MemorySegment.ofArray(new double[0]);

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CHECK_GIVEN = lookup.findStatic(HessianVectorBinder.class, "checkGiven",
                    MethodType.methodType(void.class, Object.class));
            CHECK_RESULT = lookup.findStatic(HessianVectorBinder.class, "checkResult",
                    MethodType.methodType(void.class, Object.class, Object.class, Object.class));
            CHECK_APART = lookup.findStatic(HessianVectorBinder.class, "checkApart",
                    MethodType.methodType(void.class, Object.class, Object.class));
            ZERO = lookup.findStatic(HessianVectorBinder.class, "zero",
                    MethodType.methodType(void.class, Object.class));
            CHECK_OUT = lookup.findStatic(HessianVectorBinder.class, "checkOut",
                    MethodType.methodType(void.class, int.class, String.class, double[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private HessianVectorBinder() {}

    /** Where each native parameter's value, direction and (arrays) result sit in the handle; -1 for none. */
    private record Positions(int[] primal, int[] direction, int[] result, MethodType type) {

        static Positions of(CallingConvention gradient) {
            int n = gradient.entry().parameters().size();
            int[] primal = new int[n];
            int[] direction = new int[n];
            int[] result = new int[n];
            List<Class<?>> types = types(gradient, primal, direction, result);
            return new Positions(primal, direction, result, MethodType.methodType(void.class, types));
        }

        int out() {
            return type.parameterCount() - 1;
        }
    }

    /**
     * @param gradient the inner reverse-mode convention ({@code CallingConvention.hvpGradient}); the worker's
     *                 wrapper is checked against the forward pass over it
     */
    public static MethodHandle bind(MemorySegment function, CallingConvention gradient, WrapperSignature wrapper,
                                    BooleanSupplier isLive) {
        WrapperLayout over = gradient.overGradient();
        over.check(wrapper);
        Positions at = Positions.of(gradient);
        List<WrapperParameter> natives = over.parameters();
        if (natives.getLast().role() != WrapperParameter.Role.OUT) {
            throw new IllegalStateException(over.toString()); // WrapperLayout.plan puts out last
        }
        MethodHandle raw = MethodHandles.insertArguments(NativeBinder.bindWrapper(function, wrapper, false, true),
                natives.size() - 1, NO_SLOTS);
        // (int[] status, the handle's parameters...) → one filtered native argument per wrapper parameter
        MethodType sources = at.type().insertParameterTypes(0, int[].class);
        List<HandleParameter> inner = gradient.handleParameters();
        ThreadScratch scratch = new ThreadScratch(inner.size());
        List<Feed> feeds = gradient.feeds();
        MethodHandle[] filters = new MethodHandle[natives.size() - 1];
        int[] reorder = new int[filters.length];
        int segments = 0;
        for (int k = 0; k < filters.length; k++) {
            WrapperParameter parameter = natives.get(k);
            Feed feed = feeds.get(parameter.argument());
            HandleParameter of = feed.kind() == Feed.Kind.STATUS ? null : inner.get(feed.position());
            if (parameter.role() != WrapperParameter.Role.ARG) { // the tangent of a gradient-wrapper argument
                reorder[k] = 1 + switch (of.role()) {
                    case PRIMAL -> at.direction()[of.javaParameter()]; // v
                    case SHADOW -> at.result()[of.javaParameter()]; // the gradient's tangent: H·v
                    case OUT -> at.out(); // the Active scalars' adjoints' tangents: their parts of H·v
                    case TANGENT -> throw new IllegalStateException(of.toString()); // reverse mode has none
                };
                Class<?> type = sources.parameterType(reorder[k]);
                filters[k] = type.isArray() ? ArraySegments.segmentOf(segments++, type) : null;
                continue;
            }
            switch (feed.kind()) {
                case STATUS -> filters[k] = ArraySegments.segmentOf(segments++, int[].class);
                case ARRAY -> {
                    reorder[k] = of.role() == HandleParameter.Role.OUT ? 0 : 1 + at.primal()[of.javaParameter()];
                    Class<?> type = sources.parameterType(reorder[k]);
                    filters[k] = switch (of.role()) {
                        case PRIMAL -> ArraySegments.segmentOf(segments++, type);
                        // scratch as long as its primal
                        case SHADOW -> MethodHandles.filterArguments(ArraySegments.segmentOf(segments++, type), 1,
                                scratch.like(feed.position(), type));
                        // scratch of the gradient's slots; it takes the status block only as a source to be fed from
                        case OUT -> MethodHandles.filterArguments(ArraySegments.segmentOf(segments++, double[].class),
                                1, MethodHandles.dropArguments(MethodHandles.insertArguments(
                                        scratch.like(feed.position(), double[].class), 0,
                                        (Object) new double[gradient.slots().size()]), 0, int[].class));
                        case TANGENT -> throw new IllegalStateException(of.toString());
                    };
                }
                case LENGTH -> {
                    reorder[k] = 1 + at.primal()[of.javaParameter()];
                    filters[k] = MethodHandles.arrayLength(sources.parameterType(reorder[k]));
                }
                case VALUE -> reorder[k] = 1 + at.primal()[of.javaParameter()];
                default -> throw new IllegalStateException(feed.toString()); // hvpGradient refuses matrices, fields
            }
        }
        MethodHandle handle = new ArraySegments(segments).fed(raw, filters, reorder, sources);
        handle = NativeBinder.withStatusBlock(handle, isLive, wrapper.symbol());
        handle = guarded(handle, at, gradient);
        if (!handle.type().equals(at.type())) {
            throw new BindingException(Messages.BOUND_TYPE_MISMATCH.format(at.type(), handle.type()),
                    wrapper.symbol(), null);
        }
        return handle;
    }

    /** The type of the handle {@link #bind} makes for {@code gradient}. */
    public static MethodType handleType(CallingConvention gradient) {
        return Positions.of(gradient).type();
    }

    /** The handle position of native parameter {@code p}'s value ({@code p} = their count: of {@code out}). */
    public static int position(CallingConvention gradient, int p) {
        Positions at = Positions.of(gradient);
        return p < at.primal().length ? at.primal()[p] : at.out();
    }

    /** The handle's parameter types, with where each native parameter's value, direction and result go. */
    private static List<Class<?>> types(CallingConvention gradient, int[] primal, int[] direction, int[] result) {
        List<NativeParameter> parameters = gradient.entry().parameters();
        List<Class<?>> types = new ArrayList<>();
        for (int p = 0; p < parameters.size(); p++) {
            Class<?> type = parameters.get(p).type().javaClass();
            primal[p] = types.size();
            types.add(type);
            direction[p] = result[p] = -1;
            if (gradient.activities().get(p) != Activity.CONST) {
                direction[p] = types.size();
                types.add(type);
                if (type.isArray()) {
                    result[p] = types.size();
                    types.add(type);
                }
            }
        }
        types.add(double[].class); // out
        return types;
    }

    /**
     * Prepends the checks, in this order per native parameter: value and direction given, then (arrays receiving
     * H·v) the result given, long enough, and apart from every value and direction; then {@code out} long enough for
     * the Active scalars' slots (and zeroed); last the results zeroed. Each is a direct call on the arguments it reads.
     */
    private static MethodHandle guarded(MethodHandle handle, Positions at, CallingConvention gradient) {
        MethodType type = handle.type();
        List<MethodHandle> checks = new ArrayList<>();
        int[] primal = at.primal(), direction = at.direction(), result = at.result();
        for (int p = 0; p < primal.length; p++) {
            if (type.parameterType(primal[p]).isArray()) {
                checks.add(on(type, CHECK_GIVEN, primal[p]));
            }
            if (direction[p] >= 0 && type.parameterType(direction[p]).isArray()) {
                checks.add(on(type, CHECK_GIVEN, direction[p]));
            }
            if (result[p] < 0) {
                continue;
            }
            checks.add(on(type, CHECK_RESULT, primal[p], direction[p], result[p]));
            for (int q = 0; q < primal.length; q++) {
                if (type.parameterType(primal[q]).isArray()) {
                    checks.add(on(type, CHECK_APART, result[p], primal[q]));
                }
                if (direction[q] >= 0 && type.parameterType(direction[q]).isArray()) {
                    checks.add(on(type, CHECK_APART, result[p], direction[q]));
                }
            }
        }
        int slots = gradient.slots().size();
        if (slots > 0) { // with no Active scalar, out is not read
            checks.add(on(type, MethodHandles.insertArguments(CHECK_OUT, 0, slots, gradient.entry().methodName()),
                    at.out()));
        }
        for (int p = 0; p < primal.length; p++) { // only now: a refused call writes nothing
            if (result[p] >= 0) {
                checks.add(on(type, ZERO, result[p]));
            }
        }
        for (MethodHandle check : checks.reversed()) { // each fold runs before the ones folded earlier
            handle = MethodHandles.foldArguments(handle, 0, check);
        }
        return handle;
    }

    /** {@code check} on the handle's parameters at {@code positions}, as a handle taking all of them. */
    private static MethodHandle on(MethodType type, MethodHandle check, int... positions) {
        MethodType narrowed = MethodType.methodType(void.class,
                Arrays.stream(positions).<Class<?>>mapToObj(type::parameterType).toList());
        return MethodHandles.permuteArguments(check.asType(narrowed), type.changeReturnType(void.class), positions);
    }

    private static void checkGiven(Object array) {
        if (array == null) {
            throw new NullPointerException(Messages.HVP_NULL_ARGUMENT.format());
        }
    }

    /** The array receiving a value's part of H·v: given, and at least as long as the value and its direction. */
    private static void checkResult(Object value, Object direction, Object result) {
        checkGiven(result);
        int n = Array.getLength(value);
        if (Array.getLength(direction) != n || Array.getLength(result) < n) {
            throw new IllegalArgumentException(Messages.HVP_LENGTHS.format(n, Array.getLength(direction),
                    Array.getLength(result)));
        }
    }

    /** Enzyme would read the H·v it is writing. */
    private static void checkApart(Object result, Object other) {
        if (result == other) {
            throw new IllegalArgumentException(Messages.HVP_ALIASES.format());
        }
    }

    private static void checkOut(int slots, String method, double[] out) {
        if (out == null || out.length < slots) {
            throw new IllegalArgumentException(Messages.OUT_TOO_SHORT.format(slots, method,
                    out == null ? "null" : out.length));
        }
        Arrays.fill(out, 0, slots, 0.0);
    }

    private static void zero(Object array) {
        switch (array) {
            case double[] d -> Arrays.fill(d, 0.0);
            case float[] f -> Arrays.fill(f, 0f);
            default -> throw new IllegalStateException(array.getClass().toString());
        }
    }
}
