package jenzyme.runtime.lower;

import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/** A function the lowered code can call: its LLVM function type and the function value (calls need both). */
record Callee(LLVMTypeRef type, LLVMValueRef function) {}
