package jenzyme.runtime;

/** Raised when the worker answered, but Enzyme or LLVM refused the module (the worker's message is kept). */
public final class DifferentiationException extends JEnzymeException {

    public DifferentiationException(String message) {
        super(message);
    }

    public DifferentiationException(String message, Throwable cause) {
        super(message, cause);
    }
}
