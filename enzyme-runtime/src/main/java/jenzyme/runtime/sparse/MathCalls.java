package jenzyme.runtime.sparse;

import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.BitSet;
import jenzyme.runtime.sparse.TracedValue.Kind;

/**
 * {@code java.lang.Math} in the tracer: on known arguments the JVM's own result (so {@code Math.floorMod(i - 1, n)}
 * stays an exact index), otherwise a value depending on every argument (an over-approximation for {@code max},
 * {@code abs}..., whose derivative follows one argument: a superset of the pattern is still correct).
 */
final class MathCalls {

    private MathCalls() {}

    /** The result, or null for a method whose parameters or result are not numbers. */
    static TracedValue call(String name, MethodTypeDesc type, TracedValue[] arguments) {
        Kind result = Kind.of(type.returnType());
        if (result == Kind.REF || TracedValue.isVoid(type.returnType())) {
            return null;
        }
        boolean known = true;
        BitSet deps = TracedValue.NONE;
        for (TracedValue argument : arguments) {
            known &= argument.isKnown();
            deps = TracedValue.union(deps, argument.deps());
        }
        if (!known) {
            return TracedValue.varying(result, deps);
        }
        try {
            Class<?>[] parameters = new Class<?>[arguments.length];
            Object[] values = new Object[arguments.length];
            for (int p = 0; p < arguments.length; p++) {
                parameters[p] = primitive(type.parameterType(p));
                values[p] = box(arguments[p].known(), parameters[p]);
            }
            Method method = Math.class.getMethod(name, parameters);
            return TracedValue.known(result, (Number) method.invoke(null, values));
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            // Math.addExact and friends throw on overflow: the value is then unknown, like any other varying one
            return e instanceof InvocationTargetException ? TracedValue.varying(result, deps) : null;
        }
    }

    private static Class<?> primitive(ClassDesc type) {
        return switch (type.descriptorString()) {
            case "D" -> double.class;
            case "F" -> float.class;
            case "J" -> long.class;
            default -> int.class;
        };
    }

    private static Object box(Number value, Class<?> type) {
        if (type == double.class) {
            return value.doubleValue();
        }
        if (type == float.class) {
            return value.floatValue();
        }
        return type == long.class ? (Object) value.longValue() : (Object) value.intValue();
    }
}
