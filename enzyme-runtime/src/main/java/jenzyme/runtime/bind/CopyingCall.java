package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.BindingException;
import jenzyme.runtime.lower.StatusCode;

/**
 * One call through an ordinary (non-critical) downcall: arrays are copied into native memory and back afterwards
 * (also when the call fails, since Java keeps the writes made before an exception). The JVM can reach safepoints
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
            MemorySegment[] copies = new MemorySegment[args.length];
            for (int i = 0; i < args.length; i++) {
                NativeArgument argument = signature.arguments().get(i);
                if (argument.passing() == NativeArgument.Passing.VALUE) {
                    nativeArgs.add(args[i]);
                    continue;
                }
                Object array = java.util.Objects.requireNonNull(args[i], "array argument " + i);
                int length = java.lang.reflect.Array.getLength(array);
                ValueLayout element = elementLayout(argument.javaType());
                copies[i] = arena.allocate(element, Math.max(1, length));
                MemorySegment.copy(array, 0, copies[i], element, 0, length);
                nativeArgs.add(copies[i]);
                if (argument.passing() == NativeArgument.Passing.ARRAY_AND_LENGTH) {
                    nativeArgs.add(length);
                }
            }
            Object result;
            try {
                result = downcall.invokeWithArguments(nativeArgs);
            } finally {
                for (int i = 0; i < args.length; i++) {
                    if (copies[i] != null) {
                        ValueLayout element = elementLayout(args[i].getClass());
                        MemorySegment.copy(copies[i], element, 0, args[i], 0, java.lang.reflect.Array.getLength(args[i]));
                    }
                }
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
        throw new BindingException("expected a double[], float[], int[] or long[], got " + arrayType.getName());
    }
}
