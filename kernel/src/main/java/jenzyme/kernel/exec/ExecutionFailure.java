package jenzyme.kernel.exec;

import java.util.List;

/**
 * User code threw: the exception's class name and message, and its stack trace as JShell translated it (snippet
 * frames appear as {@code f(#6:2)}: method {@code f} of snippet 6, line 2), causes included.
 */
public final class ExecutionFailure extends EvaluationException {

    private final String exceptionClass;
    private final String detail;
    private final List<String> stackTrace;

    ExecutionFailure(String exceptionClass, String detail, List<String> stackTrace) {
        super(exceptionClass + (detail == null ? "" : ": " + detail));
        this.exceptionClass = exceptionClass;
        this.detail = detail == null ? "" : detail;
        this.stackTrace = List.copyOf(stackTrace);
    }

    public String exceptionClass() {
        return exceptionClass;
    }

    public String detail() {
        return detail;
    }

    public List<String> stackTrace() {
        return stackTrace;
    }
}
