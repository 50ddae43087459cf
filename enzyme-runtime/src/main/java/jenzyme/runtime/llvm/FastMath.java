package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * {@code --fast-math} in the frontend's half: every floating-point operation of a lowered module may be reassociated
 * and contracted ({@code reassoc contract}), so that O3 vectorises reductions ({@code s += ...} in a loop) and fuses
 * multiply-adds. Nothing else is relaxed: NaN, infinities and signed zeros keep their IEEE meaning. The worker
 * relaxes the derivative Enzyme adds the same way. Math function calls get libmvec's vector variants
 * ({@link VectorMaths}), so loops calling them vectorise too.
 */
public final class FastMath {

    private FastMath() {}

    /**
     * {@code bitcode} with {@code reassoc contract} on every floating-point operation and vector variants on its
     * math calls, and its IR text.
     */
    public static Relaxed relax(byte[] bitcode, String moduleName) {
        LlvmNative.initialize();
        LLVMContextRef context = LLVMContextCreate();
        try {
            LLVMModuleRef module = LlvmModules.parseBitcode(context, bitcode, moduleName);
            try {
                int flags = LLVMFastMathAllowReassoc | LLVMFastMathAllowContract;
                VectorMaths vectors = VectorMaths.forModule(module);
                for (LLVMValueRef f = LLVMGetFirstFunction(module); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
                    for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(f); b != null && !b.isNull();
                         b = LLVMGetNextBasicBlock(b)) {
                        for (LLVMValueRef i = LLVMGetFirstInstruction(b); i != null && !i.isNull();
                             i = LLVMGetNextInstruction(i)) {
                            if (LLVMCanValueUseFastMathFlags(i) != 0) {
                                LLVMSetFastMathFlags(i, LLVMGetFastMathFlags(i) | flags);
                            }
                            if (vectors != null) {
                                vectors.offer(i);
                            }
                        }
                    }
                }
                if (vectors != null) {
                    vectors.finish();
                }
                return new Relaxed(LlvmModules.writeBitcode(module), LlvmModules.irText(module));
            } finally {
                LlvmModules.dispose(module);
            }
        } finally {
            LLVMContextDispose(context);
        }
    }

    /** A relaxed module: bitcode and its IR text. */
    public record Relaxed(byte[] bitcode, String irText) {}
}
