package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;

/**
 * Process-wide set-up of Bytedeco's LLVM and conversion of LLVM's owned C strings and error values into Java.
 * Every other wrapper in this package calls {@link #initialize()} before touching LLVM.
 */
public final class LlvmNative {

    private static volatile boolean initialized;

    private LlvmNative() {}

    /** Registers the host target, its assembly printer and parser (needed by the JIT and by target machines). */
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
