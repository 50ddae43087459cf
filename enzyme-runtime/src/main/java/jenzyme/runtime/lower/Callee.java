package jenzyme.runtime.lower;

import jenzyme.runtime.llvm.IrBuilder;
import jenzyme.runtime.llvm.LlvmModule;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/** A function the lowered code can call: its LLVM function type and the function value (calls need both). */
record Callee(LLVMTypeRef type, LLVMValueRef function) {

    /** What an {@link #outOfLine} function does to its arguments' memory: {@code memory(argmem: ...)}. */
    enum ArgumentMemory {
        /** {@code argmem: write}. */
        WRITE(2),
        /** {@code argmem: readwrite}. */
        READ_WRITE(3);

        /** LLVM's MemoryEffects bits: mod 2, ref 1. */
        private final long bits;

        ArgumentMemory(long bits) {
            this.bits = bits;
        }
    }

    /** Builds the body of an {@link #outOfLine} function, positioned in its entry block. */
    @FunctionalInterface
    interface Body {
        void build(LLVMValueRef function);
    }

    /**
     * Defines the internal function {@code name} of {@code type} that stays a call until after Enzyme
     * ({@link ThrownValues}' store, {@link UnwindingFailures}' check): {@code noinline}, {@code nounwind} and
     * {@code memory(argmem: ...)} of {@code argumentMemory}, so that Enzyme's analyses know it touches its arguments'
     * memory only. {@code body} builds it from its entry block; the builder then goes
     * back to where it was.
     */
    static Callee outOfLine(IrModule module, LlvmModule llvm, String name, LLVMTypeRef type,
                            ArgumentMemory argumentMemory, Body body) {
        IrBuilder ir = module.ir();
        LLVMValueRef function = llvm.addFunction(name, type, false);
        llvm.addFunctionAttribute(function, "noinline");
        llvm.addFunctionAttribute(function, "nounwind");
        llvm.addFunctionAttribute(function, "memory", argumentMemory.bits);
        LLVMBasicBlockRef resume = ir.currentBlock();
        ir.positionAtEnd(ir.appendBlock(function, "entry"));
        body.build(function);
        if (resume != null && !resume.isNull()) {
            ir.positionAtEnd(resume);
        }
        return new Callee(type, function);
    }
}
