package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.FailureSites;
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

    /**
     * Throws the Java exception recorded in {@code block}, if any, with stack frames at the user's line that raised it
     * and at the line of each compiled call that led there (the sites compiled code recorded), as if the methods had
     * run on the JVM.
     */
    static void check(int[] block, String symbol) {
        if (block[0] == 0) {
            return;
        }
        StatusCode status;
        try {
            status = StatusCode.of(block[0]);
        } catch (IllegalArgumentException unknown) {
            throw new BindingException(Messages.UNKNOWN_STATUS.format(symbol, unknown.getMessage()), symbol, null);
        }
        Optional<FailureSites.Site> site = FailureSites.site(block[StatusCode.SITE_WORD]);
        Throwable thrown = switch (status) {
            case ARRAY_INDEX_OUT_OF_BOUNDS -> new ArrayIndexOutOfBoundsException(
                    Messages.COMPILED_INDEX_OUT_OF_BOUNDS.format(block[1], block[2]));
            case DIVISION_BY_ZERO -> new ArithmeticException(Messages.COMPILED_DIVISION_BY_ZERO.format());
            case NEGATIVE_ARRAY_SIZE -> new NegativeArraySizeException(Integer.toString(block[1]));
            case OUT_OF_MEMORY -> new OutOfMemoryError(Messages.COMPILED_OUT_OF_MEMORY.format(block[1]));
            case STACK_OVERFLOW -> new StackOverflowError(
                    Messages.COMPILED_STACK_OVERFLOW.format(StatusCode.MAX_CALL_DEPTH));
            case NATIVE_MEMORY -> new OutOfMemoryError(Messages.COMPILED_NATIVE_MEMORY.format(block[1], block[2]));
            case RESULT_LENGTH -> new IllegalArgumentException(Messages.RESULT_LENGTH.format(
                    site.map(FailureSites.Site::methodName).orElse("the method"), block[1], block[2]));
            case INTERRUPTED -> {
                InterruptFlag.global().clear();
                yield new CompiledCodeInterruptedException(Messages.COMPILED_INTERRUPTED.format(
                        site.map(FailureSites.Site::methodName).orElse("code")));
            }
            case OK -> throw new IllegalStateException(Messages.STATUS_OK_UNREACHABLE.format());
        };
        if (site.isPresent()) {
            List<StackTraceElement> frames = new ArrayList<>();
            frames.add(site.get().frame());
            for (int word = StatusCode.BLOCK_INTS - 1; word >= StatusCode.CALLER_WORD; word--) {
                FailureSites.site(block[word]).ifPresent(caller -> frames.add(caller.frame()));
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
