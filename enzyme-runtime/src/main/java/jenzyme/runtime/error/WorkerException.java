package jenzyme.runtime.error;

/**
 * Raised when the Enzyme worker process could not be reached, crashed, timed out, was cancelled or broke the
 * protocol: the worker gave no verdict on the module. Carries the tail of the worker's stderr, which is where an
 * LLVM or Enzyme abort explains itself. The client restarts the worker on its next request.
 */
public final class WorkerException extends JEnzymeException {

    /** What went wrong with the process (as opposed to the module, see {@link DifferentiationException}). */
    public enum Reason { START_FAILED, CRASHED, TIMED_OUT, CANCELLED, PROTOCOL, CLOSED }

    private final Reason reason;
    private final String stderrTail;

    public WorkerException(Reason reason, String message, String stderrTail) {
        super(withTail(message, stderrTail));
        this.reason = reason;
        this.stderrTail = stderrTail;
    }

    public WorkerException(Reason reason, String message, String stderrTail, Throwable cause) {
        super(withTail(message, stderrTail), cause);
        this.reason = reason;
        this.stderrTail = stderrTail;
    }

    public Reason reason() {
        return reason;
    }

    /** The last lines the worker wrote to stderr before the failure (empty if it wrote none). */
    public String stderrTail() {
        return stderrTail;
    }

    private static String withTail(String message, String stderrTail) {
        return stderrTail.isBlank() ? message : message + "\nworker stderr:\n" + stderrTail.strip();
    }
}
