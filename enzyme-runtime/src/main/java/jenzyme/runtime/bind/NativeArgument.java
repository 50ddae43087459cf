package jenzyme.runtime.bind;

import jenzyme.runtime.error.Messages;

/**
 * How one Java argument of a bound function crosses into native code: a primitive by value, an array as its data
 * pointer followed by its {@code int} length (the lowered-code convention), or an array as a bare pointer (e.g. an
 * output buffer of a worker-generated wrapper), or a two-dimensional array as its row table, row-length table and
 * row count. One-dimensional arrays travel as heap segments; a two-dimensional array's rows are copied per call
 * ({@link JaggedRows}).
 */
public record NativeArgument(Class<?> javaType, Passing passing) {

    public enum Passing { VALUE, ARRAY_AND_LENGTH, ARRAY_POINTER, ROW_TABLES }

    public NativeArgument {
        boolean isArray = javaType.isArray() && (passing == Passing.ROW_TABLES
                ? javaType.getComponentType().isArray() && javaType.getComponentType().getComponentType().isPrimitive()
                : javaType.getComponentType().isPrimitive());
        if (passing == Passing.VALUE ? !javaType.isPrimitive() || javaType == void.class : !isArray) {
            throw new IllegalArgumentException((passing == Passing.VALUE ? Messages.NOT_A_PRIMITIVE
                    : Messages.NOT_A_PRIMITIVE_ARRAY).format(passing, javaType.getName()));
        }
    }

    public static NativeArgument value(Class<?> primitive) {
        return new NativeArgument(primitive, Passing.VALUE);
    }

    public static NativeArgument arrayAndLength(Class<?> arrayType) {
        return new NativeArgument(arrayType, Passing.ARRAY_AND_LENGTH);
    }

    /** A two-dimensional array as (row table, row-length table, row count): see {@link JaggedRows}. */
    public static NativeArgument rowTables(Class<?> matrixType) {
        return new NativeArgument(matrixType, Passing.ROW_TABLES);
    }

    public static NativeArgument arrayPointer(Class<?> arrayType) {
        return new NativeArgument(arrayType, Passing.ARRAY_POINTER);
    }
}
