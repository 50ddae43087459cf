package jenzyme.kernel.exec;

import java.util.List;

/**
 * The user interrupted the cell; the snippets before the interrupted one stay defined. {@link #trace()} shows where
 * the cell's code was stopped, when it was running (empty when it was stopped between snippets).
 */
public final class EvaluationInterrupted extends EvaluationException {

    private final List<TraceFrame> trace;

    EvaluationInterrupted(String detail) {
        this(detail, List.of());
    }

    EvaluationInterrupted(String detail, List<TraceFrame> trace) {
        super(detail);
        this.trace = List.copyOf(trace);
    }

    public List<TraceFrame> trace() {
        return trace;
    }
}
