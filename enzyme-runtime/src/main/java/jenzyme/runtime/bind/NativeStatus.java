package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.jit.NativeMemory;
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

    /** Heap status blocks of the binders, one per thread, reused: a call allocated one per sweep before. */
    private static final ThreadLocal<int[]> HEAP_BLOCK = ThreadLocal.withInitial(NativeStatus::newBlock);

    /**
     * This thread's heap status block, zeroed. Reuse is safe: the binding checks the block before it returns, and a
     * call nested on the same thread (from a JVM method compiled code calls back, {@link JvmCalls}) runs while its
     * caller, which is never critical, works on a native copy of the block that is copied back only afterwards.
     */
    static int[] threadBlock() {
        int[] block = HEAP_BLOCK.get();
        java.util.Arrays.fill(block, 0);
        return block;
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
        int length = block[StatusCode.WIDE_WORDS];
        return switch (block[1] & 15) {
            case ArrayLibrary.SOURCE_INDEX -> Messages.COMPILED_ARRAYCOPY_INDEX.format("source", block[2], element, length);
            case ArrayLibrary.DESTINATION_INDEX ->
                    Messages.COMPILED_ARRAYCOPY_INDEX.format("destination", block[2], element, length);
            case ArrayLibrary.NEGATIVE_LENGTH -> Messages.COMPILED_ARRAYCOPY_LENGTH.format(block[2]);
            case ArrayLibrary.LAST_SOURCE -> Messages.COMPILED_ARRAYCOPY_INDEX.format("last source",
                    Integer.toUnsignedString(block[2]), element, length);
            default -> Messages.COMPILED_ARRAYCOPY_INDEX.format("last destination", Integer.toUnsignedString(block[2]),
                    element, length);
        };
    }

    /** The JDK's message of Math.clamp's IllegalArgumentException, from the kind and the bounds' bits. */
    private static String clampMessage(int[] block) {
        long min = StatusCode.wide(block, StatusCode.WIDE_WORDS);
        long max = StatusCode.wide(block, StatusCode.WIDE_WORDS + 2);
        return switch (block[1]) {
            case ClampCalls.MIN_NAN -> Messages.COMPILED_CLAMP_MIN_NAN.format();
            case ClampCalls.MAX_NAN -> Messages.COMPILED_CLAMP_MAX_NAN.format();
            case ClampCalls.DOUBLE_ORDER -> Messages.COMPILED_BOUNDS_ORDER.format(Double.longBitsToDouble(min),
                    Double.longBitsToDouble(max));
            case ClampCalls.FLOAT_ORDER -> Messages.COMPILED_BOUNDS_ORDER.format(Float.intBitsToFloat((int) min),
                    Float.intBitsToFloat((int) max));
            case ClampCalls.FLOATING_ORDER_UNKNOWN -> Messages.CLAMP_ORDER.format();
            default -> Messages.COMPILED_BOUNDS_ORDER.format(min, max);
        };
    }

    /**
     * Throws the Java exception recorded in {@code block}, if any, with stack frames at the user's line that raised it
     * and at the line of each compiled call that led there (the sites compiled code recorded), as if the methods had
     * run on the JVM.
     */
    /**
     * The name {@code %autodiff} takes for the method compiled as {@code symbol} ({@code decay} for a cell's
     * {@code decay(double, long)}); {@code <method>} if it is not a cell's top-level method (qa6 R14: the hint said
     * {@code <method>} where the method was known).
     */
    private static String magicName(String symbol) {
        String written = jenzyme.runtime.lower.CompiledNames.readable(symbol);
        int parameters = written.indexOf('(');
        String name = parameters < 0 ? "" : written.substring(0, parameters);
        return javax.lang.model.SourceVersion.isIdentifier(name) ? name : "<method>";
    }

    static void check(int[] block, String symbol) {
        if (block[0] == 0) {
            return;
        }
        NativeMemory.releaseDeferred(); // a failed call may have left its tape to be freed off this thread
        StatusCode status;
        try {
            status = StatusCode.of(block[0]);
        } catch (IllegalArgumentException unknown) {
            throw new BindingException(Messages.UNKNOWN_STATUS.format(symbol, unknown.getMessage()), symbol, null);
        }
        Optional<FailureSites.Site> site = FailureSites.site(symbol, block[StatusCode.SITE_WORD]);
        Throwable thrown = switch (status) {
            case ARRAY_INDEX_OUT_OF_BOUNDS -> new ArrayIndexOutOfBoundsException(
                    Messages.COMPILED_INDEX_OUT_OF_BOUNDS.format(block[1], block[2]));
            case DIVISION_BY_ZERO -> new ArithmeticException(Messages.COMPILED_DIVISION_BY_ZERO.format());
            case NEGATIVE_ARRAY_SIZE -> new NegativeArraySizeException(Integer.toString(block[1]));
            case OUT_OF_MEMORY -> new OutOfMemoryError(Messages.COMPILED_OUT_OF_MEMORY.format(block[1]));
            case STACK_OVERFLOW -> new StackOverflowError(
                    Messages.COMPILED_STACK_OVERFLOW.format(StatusCode.MAX_CALL_DEPTH));
            case NATIVE_MEMORY -> new OutOfMemoryError(Messages.COMPILED_NATIVE_MEMORY.format(block[1], block[2],
                    magicName(symbol)));
            case RESULT_LENGTH -> new IllegalArgumentException(Messages.RESULT_LENGTH.format(
                    site.map(FailureSites.Site::methodName).orElse("the method"), block[1], block[2]));
            case CARRIED_LENGTH -> new IllegalStateException(Messages.CARRIED_LENGTH.format(block[1], block[2]));
            case INTERRUPTED -> {
                InterruptFlag.global().clear();
                yield new CompiledCodeInterruptedException(Messages.COMPILED_INTERRUPTED.format(
                        site.map(FailureSites.Site::methodName).orElse("code")));
            }
            case CLAMP_BOUNDS -> new IllegalArgumentException(clampMessage(block));
            case ARRAYCOPY -> new ArrayIndexOutOfBoundsException(arraycopyMessage(block));
            case RANGE -> switch (block[1]) {
                case ArrayLibrary.FROM_AFTER_TO -> new IllegalArgumentException(
                        Messages.COMPILED_RANGE_ORDER.format(block[2], block[StatusCode.WIDE_WORDS]));
                case ArrayLibrary.COPY_RANGE -> new IllegalArgumentException(
                        Messages.COMPILED_BOUNDS_ORDER.format(block[2], block[StatusCode.WIDE_WORDS]));
                default -> new ArrayIndexOutOfBoundsException(Messages.COMPILED_RANGE_INDEX.format(block[2]));
            };
            // created here, not inside Optional.map: the user's traceback showed that JDK frame (QA R11)
            case THROWN -> ThrownExceptions.thrown(symbol, block[1]).orElseThrow(() -> new BindingException(
                    Messages.UNKNOWN_THROWN.format(symbol, block[1]), symbol, null)).create(block);
            case OK -> throw new IllegalStateException(Messages.STATUS_OK_UNREACHABLE.format());
        };
        if (site.isPresent()) {
            List<StackTraceElement> frames = new ArrayList<>();
            frames.add(site.get().frame());
            for (int word = StatusCode.CALLER_WORD + StatusCode.CALLER_WORDS - 1; word >= StatusCode.CALLER_WORD; word--) {
                FailureSites.site(symbol, block[word]).ifPresent(caller -> frames.add(caller.frame()));
            }
            frames.addAll(List.of(thrown.getStackTrace()));
            thrown.setStackTrace(frames.toArray(StackTraceElement[]::new));
        }
        if (thrown instanceof Error error) {
            throw error;
        }
        throw (RuntimeException) thrown;
    }
}
