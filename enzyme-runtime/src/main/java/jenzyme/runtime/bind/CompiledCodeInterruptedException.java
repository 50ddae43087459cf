package jenzyme.runtime.bind;

/**
 * Thrown by a bound native function whose compiled loop saw the {@link InterruptFlag} raised and stopped. Unchecked
 * like the other exceptions compiled code can raise, so a bound handle has exactly the Java method's type.
 */
public final class CompiledCodeInterruptedException extends RuntimeException {

    public CompiledCodeInterruptedException(String message) {
        super(message);
    }
}
