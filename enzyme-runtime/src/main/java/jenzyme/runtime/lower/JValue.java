package jenzyme.runtime.lower;

import jenzyme.runtime.error.Messages;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A JVM value during lowering: an LLVM SSA value, plus the {@code i32} length when it is an array (arrays travel as
 * data pointer and length everywhere, so {@code arraylength} and bounds checks need no memory access).
 */
record JValue(ValueKind kind, LLVMValueRef value, LLVMValueRef length) {

    JValue {
        if ((kind == ValueKind.ARRAY) != (length != null)) {
            throw new IllegalArgumentException(Messages.LENGTH_OF_NON_ARRAY.format(kind));
        }
    }

    static JValue scalar(ValueKind kind, LLVMValueRef value) {
        return new JValue(kind, value, null);
    }

    static JValue array(LLVMValueRef data, LLVMValueRef length) {
        return new JValue(ValueKind.ARRAY, data, length);
    }
}
