package jenzyme.runtime.lower;

import java.util.List;
import jenzyme.runtime.error.Messages;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A JVM value during lowering: an LLVM SSA value, plus the {@code i32} length when it is an array (arrays travel as
 * data pointer and length everywhere, so {@code arraylength} and bounds checks need no memory access); or a record,
 * kept as the values of its components ({@link RecordShape}). A record whose {@code components} are null is one
 * that {@code new} created and its constructor has not run yet: a compile-time placeholder with no LLVM value.
 * An array also carries its type where known ({@code double[]}...): element loads and stores carry their own type,
 * but the library calls on whole arrays ({@code System.arraycopy}, {@code clone()}) need it from the value.
 * A two-dimensional array ({@link JavaType#isMatrix()}) is its row table, row count and {@code rowLengths} table.
 */
record JValue(ValueKind kind, LLVMValueRef value, LLVMValueRef length, RecordShape shape, List<JValue> components,
              JavaType arrayType, LLVMValueRef rowLengths) {

    JValue {
        if ((rowLengths != null) != (arrayType != null && arrayType.isMatrix())) {
            throw new IllegalArgumentException(Messages.NUMERIC_ARRAY_EXPECTED.format(arrayType));
        }
        if ((kind == ValueKind.ARRAY) != (length != null) || arrayType != null && kind != ValueKind.ARRAY) {
            throw new IllegalArgumentException(Messages.LENGTH_OF_NON_ARRAY.format(kind));
        }
        if ((kind == ValueKind.RECORD) != (shape != null)) {
            throw new IllegalArgumentException(Messages.SHAPE_OF_NON_RECORD.format(kind));
        }
        components = components == null ? null : List.copyOf(components);
    }

    static JValue scalar(ValueKind kind, LLVMValueRef value) {
        return new JValue(kind, value, null, null, null, null, null);
    }

    /** An array of unknown type. */
    static JValue array(LLVMValueRef data, LLVMValueRef length) {
        return new JValue(ValueKind.ARRAY, data, length, null, null, null, null);
    }

    static JValue array(LLVMValueRef data, LLVMValueRef length, JavaType arrayType) {
        return new JValue(ValueKind.ARRAY, data, length, null, null, arrayType, null);
    }

    /** A two-dimensional array: its row table, row count and row-length table. */
    static JValue matrix(LLVMValueRef rows, LLVMValueRef count, LLVMValueRef rowLengths, JavaType matrixType) {
        return new JValue(ValueKind.ARRAY, rows, count, null, null, matrixType, rowLengths);
    }

    boolean isMatrix() {
        return arrayType != null && arrayType.isMatrix();
    }

    static JValue record(RecordShape shape, List<JValue> components) {
        return new JValue(ValueKind.RECORD, null, null, shape, components, null, null);
    }

    /** The placeholder {@code new} pushes; compared by identity when its constructor replaces it. */
    static JValue unconstructed(RecordShape shape) {
        return new JValue(ValueKind.RECORD, null, null, shape, null, null, null);
    }

    /** An object compiled code writes ({@link RecordShape#isWritten}): the pointer to its fields' block. */
    static JValue object(RecordShape shape, LLVMValueRef block) {
        return new JValue(ValueKind.RECORD, block, null, shape, null, null, null);
    }

    boolean isUnconstructed() {
        return kind == ValueKind.RECORD && components == null && value == null;
    }

    /** Whether this is a written object's pointer ({@link #object}) rather than a value. */
    boolean isObjectRef() {
        return kind == ValueKind.RECORD && value != null;
    }

    /** This value with each array in it (itself, or a record's array components, nested ones too) mapped. */
    JValue mapArrays(java.util.function.UnaryOperator<JValue> map) {
        if (kind == ValueKind.ARRAY) {
            return map.apply(this);
        }
        return kind != ValueKind.RECORD || components == null ? this // a placeholder, a written object's address
                : record(shape, components.stream().map(c -> c.mapArrays(map)).toList());
    }

    /** The arrays in this value: itself, or a record value's array components, depth first. */
    List<JValue> arrays() {
        List<JValue> arrays = new java.util.ArrayList<>();
        mapArrays(array -> {
            arrays.add(array);
            return array;
        });
        return arrays;
    }

    // Records compare by identity: two placeholders of one shape are different objects under construction.
    @Override
    public boolean equals(Object other) {
        return this == other;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
