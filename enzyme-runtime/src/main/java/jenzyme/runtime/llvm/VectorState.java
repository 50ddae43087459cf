package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.Collection;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A module rewrite for the JIT (stage 3): every entry point starts with {@code vzeroupper} on CPUs with AVX.
 *
 * <p>Why: on Intel cores since Skylake, legacy-SSE instructions run with a false dependency on the upper halves of
 * the vector registers when those are "dirty" (an earlier AVX instruction wrote them and no {@code vzeroupper}
 * followed); code that is mostly SSE then runs several times slower (Intel's optimisation manual, "mixing AVX and
 * SSE code"). glibc's {@code log1p}, {@code tanh} and {@code atan} have no AVX variant, so compiled code calling them
 * runs SSE code, and the JVM that calls us may leave the upper state dirty. LLVM clears it before calls only in
 * functions that themselves dirtied it; it assumes a clean state on entry, which the JVM does not promise. Issue 14
 * saw, on Sapphire Rapids only, exactly the rows that call these functions (LogReg, the transcendental loop) 3–10×
 * slower in {@code ./bench} than in a kernel, and the C+worker column (same libm calls) swing 15× between two runs,
 * while the rows without libm calls (Rosenbrock, ODE RK4) agreed with an AMD machine, where this penalty does not
 * exist. One {@code vzeroupper} per call costs about a cycle.
 */
public final class VectorState {

    private static final String CLEAR_UPPER = "vzeroupper";
    /**
     * vzeroupper changes every vector register, so the asm says so: without the ymm clobbers, codegen hoisted a
     * vectorised loop's constants ({@code [1,1,1,1]}) above it and the loop then ran on halved registers (a strip-mined
     * {@code for (long i...) c += i & 1} returned 252 instead of 500). The double arguments that arrive in xmm0-7
     * are copied around it: two moves each.
     */
    private static final String CLOBBERS = "~{dirflag},~{fpsr},~{flags}" + java.util.stream.IntStream.range(0, 16)
            .mapToObj(r -> ",~{ymm" + r + "}").collect(java.util.stream.Collectors.joining());

    private VectorState() {}

    /**
     * Puts {@code vzeroupper} first in each named function defined in {@code module}, if the host has AVX (the
     * instruction does not exist without it). Entry points take scalars and pointers only, so no argument lives in
     * the upper halves that it clears.
     */
    public static void clearOnEntry(LLVMModuleRef module, Collection<String> functions) {
        if (!HostTarget.get().hasFeature("avx")) {
            return;
        }
        LLVMContextRef context = LLVMGetModuleContext(module);
        LLVMTypeRef type = LLVMFunctionType(LLVMVoidTypeInContext(context), new PointerPointer<>(0), 0, 0);
        LLVMValueRef asm = LLVMGetInlineAsm(type, CLEAR_UPPER, CLEAR_UPPER.length(), CLOBBERS, CLOBBERS.length(),
                1, 0, LLVMInlineAsmDialectATT, 0);
        LLVMBuilderRef builder = LLVMCreateBuilderInContext(context);
        try {
            for (String name : functions) {
                LLVMValueRef function = LLVMGetNamedFunction(module, name);
                if (function == null || function.isNull() || LLVMIsDeclaration(function) != 0) {
                    continue;
                }
                LLVMPositionBuilderBefore(builder, LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(function)));
                LLVMBuildCall2(builder, type, asm, new PointerPointer<>(0), 0, "");
            }
        } finally {
            LLVMDisposeBuilder(builder);
        }
    }
}
