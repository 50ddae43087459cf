package jenzyme.runtime.lower;

import jenzyme.runtime.error.Messages;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A JVM value during lowering: an LLVM SSA value, plus the {@code i32} length when it is an array (arrays travel as
 * data pointer and length everywhere, so {@code arraylength} and bounds checks need no memory access), and the
 * array's type where known ({@code double[]}...): element loads and stores carry their own type, but the library
 * calls on whole arrays ({@code System.arraycopy}, {@code clone()}) need it from the value.
 */
record JValue(ValueKind kind, LLVMValueRef value, LLVMValueRef length, JavaType arrayType) {

    JValue {
        if ((kind == ValueKind.ARRAY) != (length != null) || arrayType != null && kind != ValueKind.ARRAY) {
            throw new IllegalArgumentException(Messages.LENGTH_OF_NON_ARRAY.format(kind));
        }
    }

    static JValue scalar(ValueKind kind, LLVMValueRef value) {
        return new JValue(kind, value, null, null);
    }

    /** An array of unknown type. */
    static JValue array(LLVMValueRef data, LLVMValueRef length) {
        return new JValue(ValueKind.ARRAY, data, length, null);
    }

    static JValue array(LLVMValueRef data, LLVMValueRef length, JavaType arrayType) {
        return new JValue(ValueKind.ARRAY, data, length, arrayType);
    }
}
