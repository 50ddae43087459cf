package jenzyme.runtime.lower;

import jenzyme.runtime.error.Messages;

/**
 * Why compiled code left early. Every lowered function's first parameter points to a status block of
 * {@link #BLOCK_INTS} {@code i32}s: {@code [0]} the code (0 = ok), {@code [1]} and {@code [2]} details (for
 * {@link #ARRAY_INDEX_OUT_OF_BOUNDS} the index and the array length, for {@link #NEGATIVE_ARRAY_SIZE} and
 * {@link #OUT_OF_MEMORY} the requested length), {@code [3]} the current depth of calls between lowered functions
 * (bounded by {@link #MAX_CALL_DEPTH}, so deep recursion raises instead of overflowing the native stack, which
 * would kill the JVM), {@code [4]} the {@link FailureSites} id of the line that raised (the innermost method's, so
 * the binding can point at the user's line), and from {@link #CALLER_WORD} on, for each compiled caller of the
 * method that raised, the site of its call, at the index of its call depth (the entry method's at depth 0; callers
 * deeper than {@link #CALLER_WORDS} share the last word). The caller zeroes it; compiled code writes the code only when it fails and then returns at
 * once (its return value is then meaningless). Callers of lowered functions must allocate the whole block, not just
 * one {@code i32}.
 */
public enum StatusCode {
    OK(0),
    ARRAY_INDEX_OUT_OF_BOUNDS(1),
    DIVISION_BY_ZERO(2),
    NEGATIVE_ARRAY_SIZE(3),
    INTERRUPTED(4),
    OUT_OF_MEMORY(5),
    STACK_OVERFLOW(6),
    /**
     * An allocation of the checked allocator failed (e.g. Enzyme's tape): {@code [1]} the request and {@code [2]}
     * the native memory budget, both in MiB. Written by the JIT's allocation guard, not by lowered code.
     */
    NATIVE_MEMORY(7),
    /** A method returning double[] returned {@code [1]} elements where its caller's result array holds {@code [2]}. */
    RESULT_LENGTH(8),
    /**
     * {@code Math.clamp} with bounds the JVM refuses: {@code [1]} which message ({@link ClampCalls}), the bounds' bits
     * as 64-bit words at {@link #WIDE_WORDS} and after.
     */
    CLAMP_BOUNDS(9),
    /**
     * {@code throw new X("message")}: {@code [1]} the {@link ThrownExceptions} id of (X, message). A message joined
     * with {@code +} ({@link JoinedMessage}) also has its values at {@link #MESSAGE_WORDS}.
     */
    THROWN(10),
    /**
     * System.arraycopy's (and Arrays.copyOf's) index checks: {@code [1]} the {@link ArrayLibrary} kind with the
     * element type, {@code [2]} the index, word {@link #WIDE_WORDS} the array's length.
     */
    ARRAYCOPY(11),
    /** Arrays.fill's and copyOfRange's range checks: {@code [1]} the {@link ArrayLibrary} kind, {@code [2]} and word {@link #WIDE_WORDS} from and to. */
    RANGE(12),
    /** A loop array of length {@code [1]} carried into a variable holding {@code [2]} elements ({@link CarriedArrays}). */
    CARRIED_LENGTH(13);

    /** Index of the word holding the failing line's {@link FailureSites} id. */
    public static final int SITE_WORD = 4;
    /** Index of the word holding the entry method's call site when a method it called raised. */
    public static final int CALLER_WORD = 5;
    /**
     * How many callers' call sites the block records: enough for the call chains of a notebook (recursion deeper
     * than this shows its outermost frames), small enough that zeroing the block costs nothing measurable.
     */
    public static final int CALLER_WORDS = 16;
    /**
     * Index of the first of two 64-bit detail words (four {@code i32}s, low word first) after the callers' words,
     * for details that need more than words 1 and 2 (Math.clamp's bounds, arraycopy's array length).
     */
    public static final int WIDE_WORDS = CALLER_WORD + CALLER_WORDS;
    /** How many values a thrown message joins at most ({@code "got " + sigma}): a guard's message names a few. */
    public static final int MESSAGE_VALUES = 8;
    /**
     * Index of the first of {@link #MESSAGE_VALUES} 64-bit words (low word first) holding a thrown message's values
     * in the order they are joined ({@link JoinedMessage}): integers widened to long, floating-point values as the
     * bits of a double. Written only by a {@link #THROWN} failure, so never zeroed in between.
     */
    public static final int MESSAGE_WORDS = WIDE_WORDS + 4;
    /** Size of the status block in {@code i32}s (164 bytes). */
    public static final int BLOCK_INTS = MESSAGE_WORDS + 2 * MESSAGE_VALUES;
    /**
     * Deepest nesting of calls between lowered functions. Chosen so that even frames of a few hundred bytes (Enzyme's
     * derivative functions are larger than the primal ones) stay well inside a default 1 MB Java thread stack.
     */
    public static final int MAX_CALL_DEPTH = 2000;

    private final int code;

    /** The little-endian 64-bit word of {@code block} at {@code index}, {@code index + 1}. */
    public static long wide(int[] block, int index) {
        return (block[index] & 0xffffffffL) | ((long) block[index + 1] << 32);
    }

    StatusCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The status with this code; throws for codes compiled code never writes. */
    public static StatusCode of(int code) {
        for (StatusCode status : values()) {
            if (status.code == code) {
                return status;
            }
        }
        throw new IllegalArgumentException(Messages.UNKNOWN_STATUS_CODE.format((values().length - 1), code));
    }
}
