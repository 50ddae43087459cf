package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.StatusCode;

/**
 * One call through an ordinary (non-critical) downcall: arrays are copied into native memory and back afterwards
 * (also when the call fails, since Java keeps the writes made before an exception), one copy per distinct array. The JVM can reach safepoints
 * while such a call runs, so GC and threads that need one — including the one raising the interrupt flag — are not
 * held up by a long computation. Costs a copy per array and boxing per call.
 */
final class CopyingCall {

    private final MethodHandle downcall;
    private final NativeSignature signature;
    private final BooleanSupplier isLive;
    private final String symbol;

    CopyingCall(MethodHandle downcall, NativeSignature signature, BooleanSupplier isLive, String symbol) {
        this.downcall = downcall;
        this.signature = signature;
        this.isLive = isLive;
        this.symbol = symbol;
    }

    Object invoke(Object[] args) throws Throwable {
        NativeBinder.ensureLive(isLive, symbol);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT, StatusCode.BLOCK_INTS);
            List<Object> nativeArgs = new ArrayList<>();
            nativeArgs.add(status);
            // One copy per distinct array: the same array passed twice must stay one memory, as on the JVM.
            Map<Object, MemorySegment> copies = new IdentityHashMap<>();
            for (int i = 0; i < args.length; i++) {
                NativeArgument argument = signature.arguments().get(i);
                if (argument.passing() == NativeArgument.Passing.VALUE) {
                    nativeArgs.add(args[i]);
                    continue;
                }
                if (argument.passing() == NativeArgument.Passing.ROW_TABLES) {
                    // Rows are native copies already (JaggedRows), released by the binding after this call.
                    String type = argument.javaType().getSimpleName();
                    String ifNull = Messages.NULL_ARGUMENT.format(type);
                    nativeArgs.add(JaggedRows.rows(args[i], type, ifNull));
                    nativeArgs.add(JaggedRows.lengths(args[i], type, ifNull));
                    nativeArgs.add(Array.getLength(args[i]));
                    continue;
                }
                int index = i;
                Object array = Objects.requireNonNull(args[i], () -> "array argument " + index); // no text per call
                int length = Array.getLength(array);
                nativeArgs.add(copies.computeIfAbsent(array, a -> {
                    ValueLayout element = elementLayout(a.getClass());
                    MemorySegment copy = arena.allocate(element, Math.max(1, length));
                    MemorySegment.copy(a, 0, copy, element, 0, length);
                    return copy;
                }));
                if (argument.passing() == NativeArgument.Passing.ARRAY_AND_LENGTH) {
                    nativeArgs.add(length);
                }
            }
            Object result;
            try {
                result = downcall.invokeWithArguments(nativeArgs);
            } finally {
                copies.forEach((array, copy) ->
                        MemorySegment.copy(copy, elementLayout(array.getClass()), 0, array, 0, Array.getLength(array)));
            }
            NativeStatus.check(status.toArray(ValueLayout.JAVA_INT), symbol);
            return result;
        }
    }

    private static ValueLayout elementLayout(Class<?> arrayType) {
        Class<?> component = arrayType.getComponentType();
        if (component == double.class) return ValueLayout.JAVA_DOUBLE;
        if (component == float.class) return ValueLayout.JAVA_FLOAT;
        if (component == int.class) return ValueLayout.JAVA_INT;
        if (component == long.class) return ValueLayout.JAVA_LONG;
        throw new BindingException(Messages.NOT_AN_ARRAY_TYPE.format(arrayType.getName()));
    }
}
