package jenzyme.kernel.exec;

/** The user interrupted the cell; the snippets before the interrupted one stay defined. */
public final class EvaluationInterrupted extends EvaluationException {

    EvaluationInterrupted(String detail) {
        super(detail);
    }
}
