package jenzyme.kernel.exec;

import java.util.List;
import java.util.stream.Collectors;

/** JShell's compiler rejected a snippet; the diagnostics carry positions in the cell (1-based line and column). */
public final class CompilationFailure extends EvaluationException {

    /** One compiler message, located in the cell; {@code sourceLine} is that line of the cell. */
    public record Diagnostic(String message, int line, int column, String sourceLine) {
    }

    private final String snippet;
    private final List<Diagnostic> diagnostics;

    CompilationFailure(String snippet, List<Diagnostic> diagnostics) {
        super(diagnostics.stream().map(d -> "line " + d.line() + ": " + d.message()).collect(Collectors.joining("\n")));
        this.snippet = snippet;
        this.diagnostics = List.copyOf(diagnostics);
    }

    public String snippet() {
        return snippet;
    }

    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }
}
