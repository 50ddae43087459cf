package jenzyme.runtime.error;

import java.util.Optional;

/**
 * Raised when a native function could not be bound to, or called from, Java: a signature FFM cannot express, code
 * that was released, or a status code the binding does not know. Carries the symbol concerned when known.
 */
public final class BindingException extends JEnzymeException {

    private final String symbol;

    public BindingException(String message) {
        this(message, null, null);
    }

    public BindingException(String message, Throwable cause) {
        this(message, null, cause);
    }

    public BindingException(String message, String symbol, Throwable cause) {
        super(message, cause);
        this.symbol = symbol;
    }

    public Optional<String> symbol() {
        return Optional.ofNullable(symbol);
    }
}
