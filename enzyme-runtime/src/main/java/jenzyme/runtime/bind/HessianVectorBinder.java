package jenzyme.runtime.bind;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.CallingConvention.Feed;
import jenzyme.runtime.ad.CallingConvention.HandleParameter;
import jenzyme.runtime.ad.WrapperLayout;
import jenzyme.runtime.ad.WrapperParameter;
import jenzyme.runtime.ad.WrapperSignature;
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
 */
public final class HessianVectorBinder {

    private static final MethodHandle CALL;

    static {
        try {
            CALL = MethodHandles.lookup().findStatic(HessianVectorBinder.class, "call", MethodType.methodType(void.class,
                    Plan.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private HessianVectorBinder() {}

    /** Where each native parameter's value, direction and (arrays) result sit in the handle. */
    private record Plan(MethodHandle spread, BooleanSupplier isLive, String symbol, CallingConvention gradient,
                        WrapperLayout over, int[] primal, int[] direction, int[] result, int out) {}

    /**
     * @param gradient the inner reverse-mode convention ({@code CallingConvention.hvpGradient}); the worker's
     *                 wrapper is checked against the forward pass over it
     */
    public static MethodHandle bind(MemorySegment function, CallingConvention gradient, WrapperSignature wrapper,
                                    BooleanSupplier isLive) {
        WrapperLayout over = gradient.overGradient();
        over.check(wrapper);
        List<NativeParameter> parameters = gradient.entry().parameters();
        int[] primal = new int[parameters.size()];
        int[] direction = new int[parameters.size()];
        int[] result = new int[parameters.size()];
        List<Class<?>> types = types(gradient, primal, direction, result);
        // Spread from one Object[]: invokeWithArguments would build an invoker per call.
        MethodHandle raw = NativeBinder.bindWrapper(function, wrapper);
        MethodHandle spread = raw.asType(raw.type().generic().changeReturnType(void.class))
                .asSpreader(Object[].class, raw.type().parameterCount());
        Plan plan = new Plan(spread, isLive, wrapper.symbol(), gradient, over, primal, direction, result,
                types.size() - 1);
        return MethodHandles.insertArguments(CALL, 0, plan).asCollector(Object[].class, types.size())
                .asType(MethodType.methodType(void.class, types));
    }

    /** The type of the handle {@link #bind} makes for {@code gradient}. */
    public static MethodType handleType(CallingConvention gradient) {
        int n = gradient.entry().parameters().size();
        return MethodType.methodType(void.class, types(gradient, new int[n], new int[n], new int[n]));
    }

    /** The handle position of native parameter {@code p}'s value ({@code p} = their count: of {@code out}). */
    public static int position(CallingConvention gradient, int p) {
        int n = gradient.entry().parameters().size();
        int[] primal = new int[n];
        List<Class<?>> types = types(gradient, primal, new int[n], new int[n]);
        return p < n ? primal[p] : types.size() - 1;
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

    private static void call(Plan plan, Object[] arguments) throws Throwable {
        check(plan, arguments);
        NativeBinder.ensureLive(plan.isLive, plan.symbol);
        CallingConvention gradient = plan.gradient;
        // The inner gradient's own handle arguments: the values, zeroed shadows and slots (scratch)
        List<HandleParameter> inner = gradient.handleParameters();
        Object[] values = new Object[inner.size()];
        for (int h = 0; h < values.length; h++) {
            HandleParameter parameter = inner.get(h);
            values[h] = switch (parameter.role()) {
                case PRIMAL -> arguments[plan.primal[parameter.javaParameter()]];
                case SHADOW -> Array.newInstance(parameter.type().componentType(),
                        Array.getLength(arguments[plan.primal[parameter.javaParameter()]]));
                case OUT -> new double[gradient.slots().size()];
                case TANGENT -> throw new IllegalStateException(parameter.toString()); // reverse mode has none
            };
        }
        int[] status = NativeStatus.newBlock();
        List<Feed> feeds = gradient.feeds();
        List<WrapperParameter> wrapper = plan.over.parameters();
        Object[] natives = new Object[wrapper.size()];
        for (int k = 0; k < natives.length; k++) {
            WrapperParameter parameter = wrapper.get(k);
            if (parameter.role() == WrapperParameter.Role.OUT) {
                natives[k] = MemorySegment.NULL; // the forward pass returns nothing
                continue;
            }
            Feed feed = feeds.get(parameter.argument());
            natives[k] = parameter.role() == WrapperParameter.Role.ARG ? value(feed, values, status)
                    : tangent(plan, arguments, inner.get(feed.position()));
        }
        plan.spread.invokeExact(natives);
        NativeStatus.check(status, plan.symbol);
    }

    /** An argument of the gradient wrapper, as {@link CallingConvention#feeds()} says it is fed. */
    private static Object value(Feed feed, Object[] values, int[] status) {
        return switch (feed.kind()) {
            case STATUS -> MemorySegment.ofArray(status);
            case ARRAY -> segment(values[feed.position()]);
            case LENGTH -> Array.getLength(values[feed.position()]);
            case VALUE -> values[feed.position()];
            default -> throw new IllegalStateException(feed.toString()); // hvpGradient refuses matrices and fields
        };
    }

    /** The tangent of a gradient-wrapper argument: a value's direction, or where a gradient's tangent (H·v) goes. */
    private static Object tangent(Plan plan, Object[] arguments, HandleParameter of) {
        return switch (of.role()) {
            case PRIMAL -> {
                Object direction = arguments[plan.direction[of.javaParameter()]];
                yield direction.getClass().isArray() ? segment(direction) : direction;
            }
            case SHADOW -> segment(arguments[plan.result[of.javaParameter()]]);
            case OUT -> MemorySegment.ofArray((double[]) arguments[plan.out]);
            case TANGENT -> throw new IllegalStateException(of.toString());
        };
    }

    /** Null, length and aliasing checks, then the results zeroed (Enzyme accumulates into them). */
    private static void check(Plan plan, Object[] arguments) {
        for (int p = 0; p < plan.primal.length; p++) {
            Object value = arguments[plan.primal[p]];
            if (value == null || plan.direction[p] >= 0 && arguments[plan.direction[p]] == null) {
                throw new NullPointerException(Messages.HVP_NULL_ARGUMENT.format());
            }
            if (plan.result[p] < 0) {
                continue;
            }
            Object direction = arguments[plan.direction[p]];
            Object result = arguments[plan.result[p]];
            if (result == null) {
                throw new NullPointerException(Messages.HVP_NULL_ARGUMENT.format());
            }
            int n = Array.getLength(value);
            if (Array.getLength(direction) != n || Array.getLength(result) < n) {
                throw new IllegalArgumentException(Messages.HVP_LENGTHS.format(n, Array.getLength(direction),
                        Array.getLength(result)));
            }
            for (int q = 0; q < plan.primal.length; q++) {
                if (result == arguments[plan.primal[q]] || plan.direction[q] >= 0
                        && result == arguments[plan.direction[q]]) {
                    throw new IllegalArgumentException(Messages.HVP_ALIASES.format());
                }
            }
            zero(result);
        }
        double[] out = (double[]) arguments[plan.out];
        int slots = plan.gradient.slots().size();
        if (slots == 0) {
            return; // no Active scalar: out is not read
        }
        if (out == null || out.length < slots) {
            throw new IllegalArgumentException(Messages.OUT_TOO_SHORT.format(slots, plan.symbol,
                    out == null ? "null" : out.length));
        }
        java.util.Arrays.fill(out, 0, slots, 0.0);
    }

    private static void zero(Object array) {
        switch (array) {
            case double[] d -> java.util.Arrays.fill(d, 0.0);
            case float[] f -> java.util.Arrays.fill(f, 0f);
            default -> throw new IllegalStateException(array.getClass().toString());
        }
    }

    private static MemorySegment segment(Object array) {
        return switch (array) {
            case double[] d -> MemorySegment.ofArray(d);
            case float[] f -> MemorySegment.ofArray(f);
            case int[] i -> MemorySegment.ofArray(i);
            case long[] l -> MemorySegment.ofArray(l);
            default -> throw new IllegalStateException(array.getClass().toString());
        };
    }
}
