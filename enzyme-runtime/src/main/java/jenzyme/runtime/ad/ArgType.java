package jenzyme.runtime.ad;

/**
 * The parameter types the worker differentiates: scalars, opaque pointers to scalars of one type (Java arrays
 * cross as their data pointer), and pointers to tables of such pointers (a two-dimensional array's row table). The pointee matters only to Enzyme's type analysis, which the worker feeds
 * explicitly instead of letting Enzyme guess from opaque pointers.
 */
public enum ArgType {
    DOUBLE("double"),
    FLOAT("float"),
    I32("i32"),
    I64("i64"),
    /** A Java {@code boolean}: FFM's C {@code bool}, an i8 holding 0 or 1 (a constant, like an int). */
    I8("i8"),
    PTR_DOUBLE("double*"),
    PTR_FLOAT("float*"),
    PTR_I32("i32*"),
    PTR_I64("i64*"),
    /** The row table of a two-dimensional array: a pointer to row pointers. */
    PTR_PTR_DOUBLE("double**"),
    PTR_PTR_FLOAT("float**"),
    PTR_PTR_I32("i32**"),
    PTR_PTR_I64("i64**");

    private final String token;

    ArgType(String token) {
        this.token = token;
    }

    /** The worker protocol's spelling. */
    public String token() {
        return token;
    }

    public boolean isPointer() {
        return token.endsWith("*");
    }

    public boolean isFloating() {
        return this == DOUBLE || this == FLOAT;
    }

    /** A one-dimensional array of floating values (the arrays that can be scratch, see {@link Argument}). */
    public boolean isFloatingPointer() {
        return this == PTR_DOUBLE || this == PTR_FLOAT;
    }
}
