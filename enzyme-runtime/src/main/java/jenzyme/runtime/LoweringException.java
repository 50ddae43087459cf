package jenzyme.runtime;

/** Raised when the frontend (JVM bytecode to LLVM IR) met a construct outside the supported subset or malformed input. */
public final class LoweringException extends JEnzymeException {

    public LoweringException(String message) {
        super(message);
    }

    public LoweringException(String message, Throwable cause) {
        super(message, cause);
    }
}
