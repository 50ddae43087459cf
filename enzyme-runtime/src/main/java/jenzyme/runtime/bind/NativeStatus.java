package jenzyme.runtime.bind;

import jenzyme.runtime.BindingException;
import jenzyme.runtime.lower.StatusCode;

/**
 * Turns the status block a native call filled in (see {@link StatusCode}) into the exception the JVM would have
 * thrown, with the JVM's own messages.
 */
final class NativeStatus {

    private NativeStatus() {}

    static int[] newBlock() {
        return new int[StatusCode.BLOCK_INTS];
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
                    + StatusCode.MAX_CALL_DEPTH + " levels");
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
