package jenzyme.runtime.error;

/**
 * Raised when the worker answered, but refused the request or the module: a request that does not match the
 * function's signature, bitcode LLVM cannot read, or code Enzyme cannot differentiate. Keeps the worker's message
 * verbatim (Enzyme's names the instruction or callee it could not handle) and the pipeline phase that failed.
 */
public final class DifferentiationException extends JEnzymeException {

    private final String function;
    private final String phase;
    private final String workerMessage;

    public DifferentiationException(String function, String phase, String workerMessage) {
        super("cannot differentiate " + function + " (worker phase " + phase + "): " + workerMessage);
        this.function = function;
        this.phase = phase;
        this.workerMessage = workerMessage;
    }

    /** The function the request asked to differentiate. */
    public String function() {
        return function;
    }

    /**
     * The worker's phase token: {@code request}, {@code parse}, {@code pre_opt}, {@code enzyme}, {@code post_opt},
     * {@code write} or {@code internal} (see enzyme-runtime/worker/PROTOCOL.md).
     */
    public String phase() {
        return phase;
    }

    /** The worker's message as sent (may span lines). */
    public String workerMessage() {
        return workerMessage;
    }
}
