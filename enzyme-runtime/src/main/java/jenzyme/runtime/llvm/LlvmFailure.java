package jenzyme.runtime.llvm;

/**
 * An LLVM C API call reported an error. The wrappers in this package only translate LLVM's error values into this
 * exception; the calling stage decides which {@code JEnzymeException} subtype (with what context) the user sees.
 */
public final class LlvmFailure extends RuntimeException {

    public LlvmFailure(String message) {
        super(message);
    }
}
