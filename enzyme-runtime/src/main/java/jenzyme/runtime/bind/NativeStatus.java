package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ArrayLibrary;
import jenzyme.runtime.lower.ClampCalls;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.FailureSites;
import jenzyme.runtime.lower.ThrownExceptions;
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

    /** HotSpot's messages for System.arraycopy's checks, e.g. "arraycopy: last source index 7 out of bounds for double[5]". */
    private static String arraycopyMessage(int[] block) {
        String element = JavaType.values()[block[1] >> 4].javaName().replace("[]", "");
        String bounds = " out of bounds for " + element + "[" + block[StatusCode.WIDE_WORDS] + "]";
        return "arraycopy: " + switch (block[1] & 15) {
            case ArrayLibrary.SOURCE_INDEX -> "source index " + block[2] + bounds;
            case ArrayLibrary.DESTINATION_INDEX -> "destination index " + block[2] + bounds;
            case ArrayLibrary.NEGATIVE_LENGTH -> "length " + block[2] + " is negative";
            case ArrayLibrary.LAST_SOURCE -> "last source index " + Integer.toUnsignedString(block[2]) + bounds;
            default -> "last destination index " + Integer.toUnsignedString(block[2]) + bounds;
        };
    }

    /** The JDK's message of Math.clamp's IllegalArgumentException, from the kind and the bounds' bits. */
    private static String clampMessage(int[] block) {
        long min = wide(block, StatusCode.WIDE_WORDS), max = wide(block, StatusCode.WIDE_WORDS + 2);
        return switch (block[1]) {
            case ClampCalls.MIN_NAN -> "min is NaN";
            case ClampCalls.MAX_NAN -> "max is NaN";
            case ClampCalls.DOUBLE_ORDER -> Double.longBitsToDouble(min) + " > " + Double.longBitsToDouble(max);
            case ClampCalls.FLOAT_ORDER -> Float.intBitsToFloat((int) min) + " > " + Float.intBitsToFloat((int) max);
            case ClampCalls.FLOATING_ORDER_UNKNOWN -> Messages.CLAMP_ORDER.format();
            default -> min + " > " + max;
        };
    }

    /** The little-endian 64-bit word at {@code index}, {@code index + 1}. */
    private static long wide(int[] block, int index) {
        return (block[index] & 0xffffffffL) | ((long) block[index + 1] << 32);
    }

    /**
     * Throws the Java exception recorded in {@code block}, if any, with a first stack frame at the user's line that
     * raised it (the site compiled code recorded), as if the method had run on the JVM.
     */
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
        Optional<FailureSites.Site> site = FailureSites.site(block[StatusCode.SITE_WORD]);
        Throwable thrown = switch (status) {
            case ARRAY_INDEX_OUT_OF_BOUNDS -> new ArrayIndexOutOfBoundsException(
                    "Index " + block[1] + " out of bounds for length " + block[2]);
            case DIVISION_BY_ZERO -> new ArithmeticException("/ by zero");
            case NEGATIVE_ARRAY_SIZE -> new NegativeArraySizeException(Integer.toString(block[1]));
            case OUT_OF_MEMORY -> new OutOfMemoryError(Messages.COMPILED_OUT_OF_MEMORY.format(block[1]));
            case STACK_OVERFLOW -> new StackOverflowError(
                    Messages.COMPILED_STACK_OVERFLOW.format(StatusCode.MAX_CALL_DEPTH));
            case NATIVE_MEMORY -> new OutOfMemoryError(Messages.COMPILED_NATIVE_MEMORY.format(block[1], block[2]));
            case INTERRUPTED -> {
                InterruptFlag.global().clear();
                yield new CompiledCodeInterruptedException(Messages.COMPILED_INTERRUPTED.format(
                        site.map(FailureSites.Site::methodName).orElse("code")));
            }
            case CLAMP_BOUNDS -> new IllegalArgumentException(clampMessage(block));
            case ARRAYCOPY -> new ArrayIndexOutOfBoundsException(arraycopyMessage(block));
            case RANGE -> switch (block[1]) {
                case ArrayLibrary.FROM_AFTER_TO -> new IllegalArgumentException(
                        "fromIndex(" + block[2] + ") > toIndex(" + block[StatusCode.WIDE_WORDS] + ")");
                case ArrayLibrary.COPY_RANGE -> new IllegalArgumentException(
                        block[2] + " > " + block[StatusCode.WIDE_WORDS]);
                default -> new ArrayIndexOutOfBoundsException("Array index out of range: " + block[2]);
            };
            case THROWN -> ThrownExceptions.thrown(block[1]).map(ThrownExceptions.Thrown::create).orElseThrow(
                    () -> new BindingException(symbol + " threw an unknown exception " + block[1], symbol, null));
            case OK -> throw new IllegalStateException("unreachable: OK returned above");
        };
        site.ifPresent(at -> {
            StackTraceElement[] trace = thrown.getStackTrace();
            StackTraceElement[] withSite = new StackTraceElement[trace.length + 1];
            withSite[0] = at.frame();
            System.arraycopy(trace, 0, withSite, 1, trace.length);
            thrown.setStackTrace(withSite);
        });
        if (thrown instanceof Error error) {
            throw error;
        }
        throw (RuntimeException) thrown;
    }
}
