package jenzyme.runtime.lower;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;

/** What one call did: its result or exception, and the arguments afterwards (arrays may have been written). */
record Outcome(Object result, Throwable thrown, Object[] argumentsAfter) {

    static Outcome of(MethodHandle handle, Object[] arguments) {
        Object[] args = deepCopy(arguments);
        try {
            return new Outcome(handle.invokeWithArguments(args), null, args);
        } catch (Throwable t) {
            return new Outcome(null, t, args);
        }
    }

    static Object[] deepCopy(Object[] arguments) {
        Object[] copy = arguments.clone();
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] != null && copy[i].getClass().isArray()) {
                int length = Array.getLength(copy[i]);
                Object array = Array.newInstance(copy[i].getClass().getComponentType(), length);
                System.arraycopy(copy[i], 0, array, 0, length);
                copy[i] = array;
            }
        }
        return copy;
    }

    String describe() {
        return thrown != null ? thrown.getClass().getName() + ": " + thrown.getMessage() : String.valueOf(result);
    }
}
