package jenzyme.kernel.exec;

import java.util.List;

/**
 * User code threw: the exception's class name and message, and its stack trace in the user's terms (cell and line of
 * each cell frame, methods as written), causes included.
 */
public final class ExecutionFailure extends EvaluationException {

    private final String exceptionClass;
    private final String detail;
    private final List<TraceFrame> trace;

    ExecutionFailure(String exceptionClass, String detail, List<TraceFrame> trace) {
        super(exceptionClass + (detail == null ? "" : ": " + detail));
        this.exceptionClass = exceptionClass;
        this.detail = detail == null ? "" : detail;
        this.trace = List.copyOf(trace);
    }

    public String exceptionClass() {
        return exceptionClass;
    }

    public String detail() {
        return detail;
    }

    public List<TraceFrame> trace() {
        return trace;
    }
}
