package jenzyme.runtime.bind;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import java.util.List;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.CallingConvention.HandleParameter;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.JavaType;

/**
 * The overwriting form of a reverse-mode gradient ({@code f_grad_set}: each shadow written with the gradient, not
 * added to) when the worker made no overwriting wrapper: the first primal-length entries of every shadow are set to
 * zero, then the accumulating wrapper runs. Allocation-free ({@link Arrays#fill}); entries past the primal's length
 * are left as they were, as the worker's overwriting wrapper leaves them (it knows only the primal's length). A
 * two-dimensional shadow ({@code double[][]}, of the primal's shape) has each row zeroed.
 *
 * <p>Only where every shadow receives a gradient: a reverse-mode method returning a number whose shadows are all
 * arrays of {@code double} or {@code float}, in one or two dimensions. Not for a {@code void} method or one
 * returning an array (the shadows of its outputs are the seeds, zeroing them would discard the cotangent), or an
 * object from the JVM copied in and out (its shadow carries the object's own layout).
 */
public final class ShadowZeroing {

    /** Shadow type → its zeroing {@code (primal, shadow)void}. */
    private static final java.util.Map<Class<?>, MethodHandle> ZERO;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            var zero = new java.util.HashMap<Class<?>, MethodHandle>();
            for (Class<?> type : List.of(double[].class, float[].class, double[][].class, float[][].class)) {
                zero.put(type, lookup.findStatic(ShadowZeroing.class, "zero",
                        MethodType.methodType(void.class, type, type)));
            }
            ZERO = java.util.Map.copyOf(zero);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ShadowZeroing() {}

    /** Whether {@code convention}'s gradient has an overwriting form: see the class comment. */
    public static boolean applies(CallingConvention convention) {
        JavaType result = convention.entry().returnType();
        List<HandleParameter> shadows = convention.handleParameters().stream()
                .filter(p -> p.role() == HandleParameter.Role.SHADOW).toList();
        return convention.mode() == Mode.REVERSE && convention.width() == 1
                && (result == JavaType.DOUBLE || result == JavaType.FLOAT)
                && convention.entry().copiedObject().isEmpty()
                && !shadows.isEmpty()
                && shadows.stream().allMatch(p -> ZERO.containsKey(p.type()));
    }

    /**
     * {@code handle} (of {@code convention.handleType()}, its arguments already checked: each shadow as long as its
     * primal, a two-dimensional one of its shape, and distinct from every other array) with each shadow zeroed first.
     */
    static MethodHandle before(MethodHandle handle, CallingConvention convention) {
        MethodType type = handle.type();
        List<HandleParameter> parameters = convention.handleParameters();
        for (int i = 0; i < parameters.size(); i++) {
            if (parameters.get(i).role() == HandleParameter.Role.SHADOW) {
                MethodHandle zero = ZERO.get(parameters.get(i).type());
                // a shadow follows its primal: the primal's length is how much the gradient fills
                handle = MethodHandles.foldArguments(handle, 0,
                        MethodHandles.permuteArguments(zero, type.changeReturnType(void.class), i - 1, i));
            }
        }
        return handle;
    }

    private static void zero(double[] primal, double[] shadow) {
        Arrays.fill(shadow, 0, primal.length, 0.0);
    }

    private static void zero(float[] primal, float[] shadow) {
        Arrays.fill(shadow, 0, primal.length, 0f);
    }

    private static void zero(double[][] primal, double[][] shadow) {
        for (int i = 0; i < primal.length; i++) {
            zero(primal[i], shadow[i]);
        }
    }

    private static void zero(float[][] primal, float[][] shadow) {
        for (int i = 0; i < primal.length; i++) {
            zero(primal[i], shadow[i]);
        }
    }
}
