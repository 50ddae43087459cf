package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;

/**
 * Process-wide set-up of Bytedeco's LLVM and conversion of LLVM's owned C strings and error values into Java.
 * Every other wrapper in this package calls {@link #initialize()} before touching LLVM.
 */
public final class LlvmNative {

    private static volatile boolean initialized;

    /**
     * Code generation without Loop Strength Reduction (LLVM's {@code -disable-lsr}; its options are process-wide, so
     * they are set here, once). LSR was 22% of the JIT's code generation of {@code ./bench --latency}'s 30-line RK4
     * gradient (llc under callgrind: 139M -> 109M instructions, ~11 ms of a warm {@code %autodiff}) and changes
     * little on x86, whose addressing modes take base + index * scale: instructions per call with and without it
     * (callgrind, the same worker modules compiled by llc both ways): that RK4 gradient 890.6k / 892.6k, LogReg
     * 10^4 x 32 5.63M / 5.56M, LogReg {@code --fast-math} 3.97M / 4.00M.
     */
    private static final String[] CODE_GENERATION_OPTIONS = {"jenzyme", "-disable-lsr"};

    private LlvmNative() {}

    /**
     * Registers the host target, its assembly printer and parser (needed by the JIT and by target machines) and
     * sets {@link #CODE_GENERATION_OPTIONS}.
     */
    public static void initialize() {
        if (initialized) {
            return;
        }
        synchronized (LlvmNative.class) {
            if (!initialized) {
                if (LLVMInitializeNativeTarget() != 0 || LLVMInitializeNativeAsmPrinter() != 0
                        || LLVMInitializeNativeAsmParser() != 0) {
                    throw new LlvmFailure("LLVM has no native target for this host");
                }
                try (PointerPointer<BytePointer> arguments = new PointerPointer<>(CODE_GENERATION_OPTIONS)) {
                    LLVMParseCommandLineOptions(CODE_GENERATION_OPTIONS.length, arguments, (BytePointer) null);
                }
                initialized = true;
            }
        }
    }

    /** Throws {@link LlvmFailure} with {@code context} and LLVM's message if {@code error} is set; consumes it. */
    public static void check(LLVMErrorRef error, String context) {
        if (error != null && !error.isNull()) {
            throw new LlvmFailure(context + ": " + errorMessage(error));
        }
    }

    /** LLVM's message for {@code error}; consumes the error. */
    public static String errorMessage(LLVMErrorRef error) {
        BytePointer message = LLVMGetErrorMessage(error);
        try {
            return message.getString();
        } finally {
            LLVMDisposeErrorMessage(message);
        }
    }

    /** Copies a string LLVM allocated for the caller and frees it; {@code null} stays {@code null}. */
    public static String takeMessage(BytePointer message) {
        if (message == null || message.isNull()) {
            return null;
        }
        try {
            return message.getString();
        } finally {
            LLVMDisposeMessage(message);
        }
    }
}
