package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMDiagnosticHandler;
import org.bytedeco.llvm.LLVM.LLVMDiagnosticInfoRef;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;
import org.bytedeco.llvm.LLVM.LLVMOrcErrorReporterFunction;
import org.bytedeco.llvm.LLVM.LLVMOrcExecutionSessionRef;

/**
 * Collects LLVM's error diagnostics instead of letting LLVM print them and call {@code exit(1)}, which is what a
 * context without a handler does on an error (measured: invalid bitcode through LLVMParseBitcodeInContext2 ended
 * the test JVM), and ORC's session errors, which it otherwise only prints. Install on every context and execution
 * session the JVM creates; callers drain the messages after each operation.
 */
public final class Diagnostics {

    /**
     * Per thread: LLVM reports on the thread doing the work, and the JIT compiles on two (a cell's and the full-tier
     * thread, {@code jenzyme.runtime.jit.OrcJit}), each of which must see its own errors only.
     */
    private static final ThreadLocal<List<String>> errors = ThreadLocal.withInitial(ArrayList::new);

    /** Kept in a static field: the native side holds only a raw pointer to this JavaCPP callback. */
    private static final LLVMDiagnosticHandler HANDLER = new LLVMDiagnosticHandler() {
        @Override
        public void call(LLVMDiagnosticInfoRef info, Pointer context) {
            if (LLVMGetDiagInfoSeverity(info) == LLVMDSError) {
                String message = LlvmNative.takeMessage(LLVMGetDiagInfoDescription(info));
                errors.get().add(message);
            }
        }
    };

    /** ORC reports materialisation failures (e.g. unresolved symbols) here rather than to the failing lookup. */
    private static final LLVMOrcErrorReporterFunction ORC_REPORTER = new LLVMOrcErrorReporterFunction() {
        @Override
        public void call(Pointer context, LLVMErrorRef error) {
            String message = LlvmNative.errorMessage(error);
            errors.get().add(message);
        }
    };

    private Diagnostics() {}

    public static void install(LLVMContextRef context) {
        LLVMContextSetDiagnosticHandler(context, HANDLER, null);
    }

    public static void install(LLVMOrcExecutionSessionRef session) {
        LLVMOrcExecutionSessionSetErrorReporter(session, ORC_REPORTER, null);
    }

    /** The errors reported on this thread since its last call, oldest first. */
    public static List<String> drain() {
        List<String> reported = errors.get();
        List<String> drained = List.copyOf(reported);
        reported.clear();
        return drained;
    }
}
