package jenzyme.runtime.bind;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Objects;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.StaticField;

/**
 * Supplies the hidden arguments of compiled code that reads static fields (notebook variables, constants of cell
 * classes): each is read from its field at every call, so compiled code sees what the JVM sees then, and a new value
 * assigned in a later cell needs no recompilation. Arrays are passed like array parameters (zero-copy or copied by
 * the call route); a null array raises a {@link NullPointerException} naming the field.
 */
public final class StaticFieldReads {

    private static final MethodHandle REQUIRE_NON_NULL;

    static {
        try {
            REQUIRE_NON_NULL = MethodHandles.lookup().findStatic(StaticFieldReads.class, "requireNonNull",
                    MethodType.methodType(Object.class, Object.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private StaticFieldReads() {}

    /**
     * {@code (a..., f0, f1, ...)R → (a...)R}: the parameters from {@code from} on are filled by reading
     * {@code fields} in order, at each call.
     */
    public static MethodHandle supply(MethodHandle handle, int from, List<StaticField> fields,
                                      ClassBytesSource classes) {
        MethodHandle supplied = handle;
        for (int i = fields.size() - 1; i >= 0; i--) {
            supplied = MethodHandles.collectArguments(supplied, from + i, getter(classes, fields.get(i)));
        }
        return supplied;
    }

    /** {@code ()T} reading {@code field}; arrays checked non-null. */
    public static MethodHandle getter(ClassBytesSource classes, StaticField field) {
        Class<?> type = field.type().javaClass();
        try {
            Class<?> owner = classes.loadedClass(field.owner()).orElse(null);
            if (owner == null) {
                owner = Class.forName(field.owner().replace('/', '.'), false,
                        Thread.currentThread().getContextClassLoader());
            }
            MethodHandle getter = MethodHandles.privateLookupIn(owner, MethodHandles.lookup())
                    .findStaticGetter(owner, field.name(), type);
            if (!type.isArray()) {
                return getter;
            }
            MethodHandle check = MethodHandles.insertArguments(REQUIRE_NON_NULL, 1, field.javaName())
                    .asType(MethodType.methodType(type, type));
            return MethodHandles.filterReturnValue(getter, check);
        } catch (ReflectiveOperationException | SecurityException | IllegalArgumentException e) {
            throw new BindingException(Messages.STATIC_FIELD_UNREADABLE.format(field.javaName(), e), e);
        }
    }

    /**
     * Not {@code Objects.requireNonNull(array, () -> ...)}: its capturing lambda is made at every read, 16 bytes per
     * call of every binding reading a static array unless C2's escape analysis removes it (a reverse Jacobian of 20
     * rows read 336 bytes per call in {@code JacobianAllocationTest}, which runs without it).
     */
    private static Object requireNonNull(Object array, String field) {
        if (array == null) {
            throw new NullPointerException(Messages.STATIC_FIELD_NULL.format(field));
        }
        return array;
    }
}
