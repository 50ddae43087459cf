package jenzyme.kernel.exec;

import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.UnresolvedReferenceException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Turns JShell's reports (diagnostics, translated exceptions) into the evaluation layer's exceptions and notes. */
final class SnippetErrors {

    private SnippetErrors() {
    }

    static CompilationFailure compilation(JShell shell, Snippet snippet, CellPositions positions) {
        List<CompilationFailure.Diagnostic> diagnostics = shell.diagnostics(snippet)
                .filter(Diag::isError)
                .map(d -> new CompilationFailure.Diagnostic(message(d), positions.line(d.getPosition()),
                        positions.column(d.getPosition()), positions.sourceLine(d.getPosition())))
                .toList();
        if (diagnostics.isEmpty()) {
            // JShell rejects some snippets without an error diagnostic, e.g. a declaration of an unknown kind.
            diagnostics = List.of(new CompilationFailure.Diagnostic("JShell rejected this snippet",
                    positions.line(0), 1, positions.sourceLine(0)));
        }
        return new CompilationFailure(snippet.source(), diagnostics);
    }

    /** The compiler's message without javac's "location: class $JShell$12" line, which names JShell's wrapper. */
    private static String message(Diag diagnostic) {
        return diagnostic.getMessage(Locale.ROOT).lines()
                .filter(line -> !line.strip().startsWith("location:"))
                .collect(Collectors.joining("\n"));
    }

    static EvaluationException execution(JShell shell, JShellException thrown, boolean stopRequested) {
        if (thrown instanceof EvalException eval) {
            if (stopRequested || eval.getExceptionClassName().equals(CellInterruptedError.class.getName())) {
                return new EvaluationInterrupted(eval.getMessage() == null ? "interrupted by the user" : eval.getMessage());
            }
            return new ExecutionFailure(eval.getExceptionClassName(), eval.getMessage(), stackTrace(eval));
        }
        if (thrown instanceof UnresolvedReferenceException unresolved) {
            return new ExecutionFailure("UnresolvedReference", unresolvedNote(shell, unresolved.getSnippet()), List.of());
        }
        return new ExecutionFailure(thrown.getClass().getName(), thrown.getMessage(), stackTrace(thrown));
    }

    static String unresolvedNote(JShell shell, DeclarationSnippet declaration) {
        String missing = shell.unresolvedDependencies(declaration).collect(Collectors.joining(", "));
        return declaration.kind().name().toLowerCase(Locale.ROOT) + " " + declaration.name()
                + " cannot be used until " + (missing.isEmpty() ? "its errors are fixed" : missing + " is declared");
    }

    /** JShell's translated frames: {@code f(#6:2)} is method f of snippet 6, line 2; the cell itself has no name. */
    private static List<String> stackTrace(Throwable thrown) {
        List<String> lines = new ArrayList<>();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t != thrown) {
                String name = t instanceof EvalException e ? e.getExceptionClassName() : t.getClass().getName();
                lines.add("Caused by: " + name + (t.getMessage() == null ? "" : ": " + t.getMessage()));
            }
            for (StackTraceElement frame : t.getStackTrace()) {
                lines.add("    at " + frameText(frame));
            }
        }
        return lines;
    }

    private static String frameText(StackTraceElement frame) {
        String file = frame.getFileName();
        if (file != null && file.startsWith("#")) {
            String method = frame.getMethodName().isEmpty() ? "cell" : frame.getMethodName();
            return method + "(" + file + ":" + frame.getLineNumber() + ")";
        }
        return frame.toString();
    }
}
