package jenzyme.runtime.bind;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.Arrays;

/**
 * Arrays a binding hands native code to work in, per thread and position, zeroed at each call: a Hessian-vector
 * product's inner gradient writes its shadows and output slots there, and only their tangents are results. Kept from
 * one call to the next, so a call makes no array and passes the same one again, whose segment {@link ArraySegments}
 * then has; like there, arrays over {@link ArraySegments#CACHED_BYTES} bytes are made per call and not kept.
 *
 * <p>One array per thread and position is enough because a thread runs one call of the binding at a time: the code
 * of a Hessian-vector product never calls back into the JVM (its lowering refuses JVM calls), so no call nests.
 */
final class ThreadScratch {

    private static final MethodHandle LIKE;

    static {
        try {
            LIKE = MethodHandles.lookup().findVirtual(ThreadScratch.class, "like",
                    MethodType.methodType(Object.class, int.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ThreadLocal<Object[]> arrays;

    /** @param count the positions, each with one array per thread */
    ThreadScratch(int count) {
        arrays = ThreadLocal.withInitial(() -> new Object[count]);
    }

    /** {@code (A template) → A}: this thread's array at {@code position}, zeroed, as long as the template. */
    MethodHandle like(int position, Class<?> arrayType) {
        return MethodHandles.insertArguments(LIKE, 0, this, position)
                .asType(MethodType.methodType(arrayType, arrayType));
    }

    private Object like(int position, Object template) {
        int length = Array.getLength(template);
        Object[] mine = arrays.get();
        Object kept = mine[position];
        if (kept != null && Array.getLength(kept) == length) {
            zero(kept);
            return kept;
        }
        Object fresh = Array.newInstance(template.getClass().componentType(), length);
        if ((long) length * (template instanceof float[] ? Float.BYTES : Double.BYTES) <= ArraySegments.CACHED_BYTES) {
            mine[position] = fresh;
        }
        return fresh;
    }

    private static void zero(Object array) {
        switch (array) {
            case double[] d -> Arrays.fill(d, 0.0);
            case float[] f -> Arrays.fill(f, 0f);
            default -> throw new IllegalStateException(array.getClass().toString()); // shadows and slots are floating
        }
    }
}
