package jenzyme.magics;

import java.util.List;
import jenzyme.runtime.error.Messages;

/**
 * Raised by {@link NotebookSession#define} when JShell rejects the source or a statement in it throws: carries the
 * offending snippet and the compiler's (or the exception's) messages, so the magic can show what it generated.
 */
public final class DefinitionException extends Exception {

    private final String snippet;
    private final List<String> problems;

    public DefinitionException(String snippet, List<String> problems) {
        super(Messages.GENERATED_CODE_REJECTED.format(String.join("; ", problems), snippet));
        this.snippet = snippet;
        this.problems = List.copyOf(problems);
    }

    public String snippet() {
        return snippet;
    }

    public List<String> problems() {
        return problems;
    }
}
