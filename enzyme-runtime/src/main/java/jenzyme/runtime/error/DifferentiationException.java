package jenzyme.runtime.error;

/**
 * Raised when a derivative cannot be made: the Java side refused the request before sending it (activities that do
 * not fit the parameters, a method of the wrong shape; phase {@link #REQUEST}), or the worker answered but refused
 * the request or the module (bitcode LLVM cannot read, code Enzyme cannot differentiate). Keeps the worker's message
 * verbatim (Enzyme's names the instruction or callee it could not handle) and the pipeline phase that failed.
 */
public final class DifferentiationException extends JEnzymeException {

    private final String function;
    private final String phase;
    private final String workerMessage;

    /** The phase of a request refused before it reached the worker (the worker's own token for such refusals). */
    public static final String REQUEST = "request";

    public DifferentiationException(String function, String phase, String workerMessage) {
        this(function, phase, workerMessage,
                "cannot differentiate " + function + " (worker phase " + phase + "): " + workerMessage);
    }

    private DifferentiationException(String function, String phase, String workerMessage, String message) {
        super(message);
        this.function = function;
        this.phase = phase;
        this.workerMessage = workerMessage;
    }

    /** The request for {@code method} (as written, e.g. {@code f(double)}) does not fit it: {@code problem}. */
    public static DifferentiationException refused(String method, String problem) {
        return new DifferentiationException(method, REQUEST, problem,
                Messages.CANNOT_DIFFERENTIATE_REQUEST.format(method, problem));
    }

    /** {@code raw}, the worker's refusal, told as {@code message} (its worker message and phase kept for --verbose). */
    public static DifferentiationException reworded(DifferentiationException raw, String message) {
        return new DifferentiationException(raw.function, raw.phase, raw.workerMessage, message);
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
