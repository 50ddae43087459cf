package jenzyme.runtime;

/** Raised when a native function could not be bound to, or called from, Java. */
public final class BindingException extends JEnzymeException {

    public BindingException(String message) {
        super(message);
    }

    public BindingException(String message, Throwable cause) {
        super(message, cause);
    }
}
