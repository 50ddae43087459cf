package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.lower.StatusCode;

/**
 * Turns the status block a native call filled in (see {@link StatusCode}) into the exception the JVM would have
 * thrown, with the JVM's own messages.
 */
final class NativeStatus {

    private NativeStatus() {}

    /** Native status blocks for non-critical calls, one per thread (heap arrays cannot be passed to those). */
    private static final ThreadLocal<MemorySegment> NATIVE_BLOCK = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(ValueLayout.JAVA_INT, StatusCode.BLOCK_INTS));

    static int[] newBlock() {
        return new int[StatusCode.BLOCK_INTS];
    }

    /** This thread's native status block, zeroed. */
    static MemorySegment nativeBlock() {
        MemorySegment block = NATIVE_BLOCK.get();
        block.fill((byte) 0);
        return block;
    }

    static void check(MemorySegment block, String symbol) {
        if (block.get(ValueLayout.JAVA_INT, 0) != 0) {
            check(block.toArray(ValueLayout.JAVA_INT), symbol);
        }
    }

    /** Throws the Java exception recorded in {@code block}, if any. */
    static void check(int[] block, String symbol) {
        if (block[0] == 0) {
            return;
        }
        StatusCode status;
        try {
            status = StatusCode.of(block[0]);
        } catch (IllegalArgumentException unknown) {
            throw new BindingException(symbol + " returned an unknown status: " + unknown.getMessage(), symbol, null);
        }
        if (status == StatusCode.OUT_OF_MEMORY) {
            throw new OutOfMemoryError("compiled code " + symbol + " cannot allocate an array of " + block[1]
                    + " elements (native memory is exhausted, or it exceeds the JVM's maximum heap)");
        }
        if (status == StatusCode.STACK_OVERFLOW) {
            throw new StackOverflowError("compiled code " + symbol + " nested calls deeper than "
                    + StatusCode.MAX_CALL_DEPTH + " (recursion too deep for native code; use a loop)");
        }
        throw switch (status) {
            case ARRAY_INDEX_OUT_OF_BOUNDS -> new ArrayIndexOutOfBoundsException(
                    "Index " + block[1] + " out of bounds for length " + block[2]);
            case DIVISION_BY_ZERO -> new ArithmeticException("/ by zero");
            case NEGATIVE_ARRAY_SIZE -> new NegativeArraySizeException(Integer.toString(block[1]));
            case INTERRUPTED -> {
                InterruptFlag.global().clear();
                yield new CompiledCodeInterruptedException(symbol);
            }
            case OK, OUT_OF_MEMORY, STACK_OVERFLOW -> new IllegalStateException("unreachable: handled above");
        };
    }
}
