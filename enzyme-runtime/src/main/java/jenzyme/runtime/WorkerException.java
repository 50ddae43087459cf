package jenzyme.runtime;

/** Raised when the Enzyme worker process could not be reached, crashed, timed out or broke the protocol. */
public final class WorkerException extends JEnzymeException {

    public WorkerException(String message) {
        super(message);
    }

    public WorkerException(String message, Throwable cause) {
        super(message, cause);
    }
}
