package jenzyme.kernel.exec;

/** The cell ends in the middle of a statement or declaration (e.g. an unclosed brace). */
public final class IncompleteSource extends EvaluationException {

    IncompleteSource(String remainder) {
        super("incomplete input: " + remainder.strip());
    }
}
