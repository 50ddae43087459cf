package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import jenzyme.runtime.llvm.IrBuilder;
import jenzyme.runtime.llvm.LlvmModule;
import jenzyme.runtime.llvm.Metadata;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * How a reverse-mode module fails inside loops ({@link IrModule#unwindsFailures}, {@link ExitPaths#insideLoop}):
 * every check (a bounds check, an interrupt poll) is one call
 * {@code jenzyme.fail_if(status, failed, code, detail1, detail2, site)}, which, when {@code failed}, writes the status
 * block and unwinds to the call's guard ({@link RuntimeSymbols#FAIL_UNWIND}).
 *
 * <p>Why: a failure that branches to a path returning through every caller is a path Enzyme reverses too, so each
 * loop of the backward sweep got a second entry (the failing iteration) and LLVM could neither forward the shadow's
 * loads nor vectorise it; the time then depended on where the arrays lay (Rosenbrock n = 1000: 3.7 or 5.8 us). A
 * branch to a block ending in {@code unreachable} after a noreturn call is no better: Enzyme counts such blocks as
 * never reached, drops them and folds the branch, so the checks vanished and four corpus gradients went wrong
 * (session 5). A call Enzyme sees as an inactive instruction that returns leaves the loop with one entry and keeps
 * the check. The check is never inlined before Enzyme (noinline, memory(argmem: readwrite) so Enzyme's cache
 * analysis knows it writes only the status block); the worker inlines it after Enzyme
 * (worker/src/failure_checks.rs), so a check costs a compare and a cold branch as before.
 */
final class UnwindingFailures {

    /** The check's name; the worker finds it by this name. */
    static final String FAIL_IF = "jenzyme.fail_if";

    private UnwindingFailures() {}

    /** Defines {@code void jenzyme.fail_if(ptr, i1, i32, i32, i32, i32)} in {@code module}, internal. */
    static Callee define(IrModule module, LlvmModule llvm) {
        IrBuilder ir = module.ir();
        LLVMTypeRef i32 = ir.i32();
        LLVMTypeRef type = ir.functionType(ir.voidType(), ir.ptr(), ir.i1(), i32, i32, i32, i32);
        Callee unwind = module.failUnwind();
        Callee check = Callee.outOfLine(module, llvm, FAIL_IF, type, Callee.ArgumentMemory.READ_WRITE, function -> {
            LLVMBasicBlockRef raise = ir.appendBlock(function, "raise");
            LLVMBasicBlockRef ok = ir.appendBlock(function, "ok");
            LLVMValueRef branch = ir.condBr(ir.param(function, 1), raise, ok);
            Metadata metadata = new Metadata(ir.context());
            LLVMMetadataRef weights = metadata.node(metadata.string("branch_weights"),
                    metadata.constant(i32, 1), metadata.constant(i32, 1 << 20));
            metadata.attach(branch, metadata.kind("prof"), metadata.asValue(weights));
            ir.positionAtEnd(raise);
            LLVMValueRef status = ir.param(function, 0);
            int[] words = {0, 1, 2, StatusCode.SITE_WORD};
            for (int k = 0; k < words.length; k++) {
                module.tbaa().attach(ir.store(ir.param(function, 2 + k),
                        ir.inBoundsGep(i32, status, ir.constInt(ir.i64(), words[k]))), JavaType.INT);
            }
            ir.call(unwind.type(), unwind.function(), status);
            ir.retVoid(); // never reached while a guard is on the thread; the module verifies without noreturn
            ir.positionAtEnd(ok);
            ir.retVoid();
        });
        llvm.addFunctionAttribute(check.function(), "nofree"); // as the unwinder's (IrModule.failUnwind)
        return check;
    }
}
