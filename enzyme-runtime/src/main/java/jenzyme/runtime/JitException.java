package jenzyme.runtime;

/** Raised when LLVM ORC could not add, link or look up compiled code. */
public final class JitException extends JEnzymeException {

    public JitException(String message) {
        super(message);
    }

    public JitException(String message, Throwable cause) {
        super(message, cause);
    }
}
