package jenzyme.runtime.lower;

import java.lang.classfile.MethodModel;
import java.util.List;

/**
 * A method declared in the module: its model, checked signature, LLVM function and parameter names; {@code entry}
 * for the method the magic names, the module's one external function.
 */
record LoweredFunction(MethodRef ref, MethodModel model, MethodSignature signature, Callee callee, String symbol,
                       List<String> parameterNames, boolean entry) {

    /**
     * Whether an array result is written into a hidden (ptr, i32) result array the caller passes: the entry's
     * convention, which the bindings size. Every other method returning an array hands a new one to its caller
     * ({@link ArrayHandOver}).
     */
    boolean fillsResultArray() {
        return entry && signature.entryFillsResult();
    }
}
