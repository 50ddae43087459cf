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

    /**
     * Whether the method hands new arrays to its caller ({@link ArrayHandOver}): an array result of any method but
     * the entry, and a record holding arrays returned by any method but the entry and a constructor (which keeps
     * the arrays it is given, as on the JVM, and so may not create any: {@link MethodCalls}).
     */
    boolean handsOverArrays() {
        return !entry && (signature.returnsArray() || signature.kind() != MethodSignature.Kind.CONSTRUCTOR
                && signature.returnType() instanceof RecordShape record
                && record.leaves().stream().anyMatch(JavaType::isArray));
    }
}
