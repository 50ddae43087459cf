package jenzyme.runtime.lower;

/**
 * Why compiled code left early. Every lowered function's first parameter points to a status block of
 * {@link #BLOCK_INTS} {@code i32}s: {@code [0]} the code (0 = ok), {@code [1]} and {@code [2]} details (for
 * {@link #ARRAY_INDEX_OUT_OF_BOUNDS} the index and the array length, for {@link #NEGATIVE_ARRAY_SIZE} and
 * {@link #OUT_OF_MEMORY} the requested length), {@code [3]} how deep compiled calls nest right now (for
 * {@link #STACK_OVERFLOW}). The caller zeroes it; compiled code writes {@code [0..2]} only when it fails and then
 * returns at once (its return value is then meaningless). Callers of lowered functions must allocate the whole
 * block, not just one {@code i32}.
 */
public enum StatusCode {
    OK(0),
    ARRAY_INDEX_OUT_OF_BOUNDS(1),
    DIVISION_BY_ZERO(2),
    NEGATIVE_ARRAY_SIZE(3),
    INTERRUPTED(4),
    OUT_OF_MEMORY(5),
    /** Compiled calls nested deeper than their limit (deep or endless recursion). */
    STACK_OVERFLOW(6);

    /** Size of the status block in {@code i32}s (16 bytes). */
    public static final int BLOCK_INTS = 4;
    /**
     * How deep compiled calls may nest before {@link #STACK_OVERFLOW}. Frames of lowered code (and of Enzyme's
     * derivatives of it) take tens to a few hundred bytes, so this stays within a few MiB: below the stack of the
     * notebook's thread (64 MiB) and of the kernel's other threads (16 MiB, the kernelspec's {@code -Xss}).
     */
    public static final int MAX_CALL_DEPTH = 10_000;

    private final int code;

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
        throw new IllegalArgumentException("expected a status code 0.." + (values().length - 1) + ", got " + code);
    }
}
