package jenzyme.runtime.error;

import java.util.Optional;

/**
 * Raised when a native function could not be bound to, or called from, Java: a signature FFM cannot express, code
 * that was released, or a status code the binding does not know. Carries the symbol concerned when known.
 */
public final class BindingException extends JEnzymeException {

    private final String symbol;
    private final boolean codeReleased;

    public BindingException(String message) {
        this(message, null, null);
    }

    public BindingException(String message, Throwable cause) {
        this(message, null, cause);
    }

    public BindingException(String message, String symbol, Throwable cause) {
        this(message, symbol, cause, false);
    }

    private BindingException(String message, String symbol, Throwable cause, boolean codeReleased) {
        super(message, cause);
        this.symbol = symbol;
        this.codeReleased = codeReleased;
    }

    /** A call refused before it entered native code, because that code was released: nothing of it ran. */
    public static BindingException codeReleased(String message, String symbol) {
        return new BindingException(message, symbol, null, true);
    }

    /**
     * Whether the call was refused because its code was released, before running any of it: a binding that was
     * re-derived meanwhile can then run the call on its new code instead.
     */
    public boolean isCodeReleased() {
        return codeReleased;
    }

    public Optional<String> symbol() {
        return Optional.ofNullable(symbol);
    }
}
