package jenzyme.kernel.exec;

/**
 * Thrown into user code when the cell is interrupted. An {@link Error}, so that user code catching
 * {@code Exception} does not swallow it; code catching {@code Throwable} meets it again at its next loop iteration.
 */
public final class CellInterruptedError extends Error {

    public CellInterruptedError(String message) {
        super(message);
    }
}
