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

    private static final List<String> errors = new ArrayList<>();

    /** Kept in a static field: the native side holds only a raw pointer to this JavaCPP callback. */
    private static final LLVMDiagnosticHandler HANDLER = new LLVMDiagnosticHandler() {
        @Override
        public void call(LLVMDiagnosticInfoRef info, Pointer context) {
            if (LLVMGetDiagInfoSeverity(info) == LLVMDSError) {
                String message = LlvmNative.takeMessage(LLVMGetDiagInfoDescription(info));
                synchronized (errors) {
                    errors.add(message);
                }
            }
        }
    };

    /** ORC reports materialisation failures (e.g. unresolved symbols) here rather than to the failing lookup. */
    private static final LLVMOrcErrorReporterFunction ORC_REPORTER = new LLVMOrcErrorReporterFunction() {
        @Override
        public void call(Pointer context, LLVMErrorRef error) {
            String message = LlvmNative.errorMessage(error);
            synchronized (errors) {
                errors.add(message);
            }
        }
    };

    private Diagnostics() {}

    public static void install(LLVMContextRef context) {
        LLVMContextSetDiagnosticHandler(context, HANDLER, null);
    }

    public static void install(LLVMOrcExecutionSessionRef session) {
        LLVMOrcExecutionSessionSetErrorReporter(session, ORC_REPORTER, null);
    }

    /** The errors reported since the last call, oldest first. */
    public static List<String> drain() {
        synchronized (errors) {
            List<String> drained = List.copyOf(errors);
            errors.clear();
            return drained;
        }
    }
}
