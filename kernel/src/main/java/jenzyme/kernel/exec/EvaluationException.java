package jenzyme.kernel.exec;

/**
 * Why a cell's Java code did not run to the end: the evaluation layer's errors, one subtype per kind, so that the
 * kernel formats them with a {@code switch}.
 */
public abstract sealed class EvaluationException extends Exception
        permits CompilationFailure, ExecutionFailure, IncompleteSource, EvaluationInterrupted {

    EvaluationException(String message) {
        super(message, null, false, false);
    }
}
