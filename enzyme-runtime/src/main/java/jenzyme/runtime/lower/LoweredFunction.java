package jenzyme.runtime.lower;

import java.lang.classfile.MethodModel;
import java.util.List;

/** A method declared in the module: its model, checked signature, LLVM function and parameter names. */
record LoweredFunction(MethodRef ref, MethodModel model, MethodSignature signature, Callee callee, String symbol,
                       List<String> parameterNames) {}
