package jenzyme.kernel.exec;

import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.UnresolvedReferenceException;
import jenzyme.runtime.error.Messages;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
            diagnostics = List.of(new CompilationFailure.Diagnostic(Messages.SNIPPET_REJECTED.format(),
                    positions.line(0), 1, positions.sourceLine(0)));
        }
        return new CompilationFailure(snippet.source(), diagnostics);
    }

    /**
     * The compiler's message without javac's "location: class $JShell$12" line, which names JShell's wrapper, and
     * without the empty class name JShell leaves in "method f in class  cannot be applied".
     */
    private static String message(Diag diagnostic) {
        if ("compiler.err.limit.code".equals(diagnostic.getCode())) {
            return "code too large: the JVM limits a method's bytecode to 64 KB; split the method into smaller ones";
        }
        return diagnostic.getMessage(Locale.ROOT).lines()
                .filter(line -> !line.strip().startsWith("location:"))
                .map(line -> line.replaceAll(" in (class|interface) +(cannot|is)", " $2"))
                .collect(Collectors.joining("\n"));
    }

    /** {@code raw} is the exception as user code threw it (untranslated frames), or null if unknown. */
    static EvaluationException execution(JShell shell, SnippetOrigins origins, JShellException thrown, Throwable raw,
                                         boolean stopRequested) {
        if (thrown instanceof EvalException eval) {
            if (stopRequested || eval.getExceptionClassName().equals(CellInterruptedError.class.getName())) {
                return new EvaluationInterrupted(eval.getMessage() == null ? Messages.INTERRUPTED_BY_USER.format()
                        : eval.getMessage(),
                        raw == null ? List.of() : trace(origins, raw));
            }
            return new ExecutionFailure(eval.getExceptionClassName(), eval.getMessage(),
                    trace(origins, raw != null ? raw : eval));
        }
        if (thrown instanceof UnresolvedReferenceException unresolved) {
            return new ExecutionFailure("UnresolvedReference", unresolvedNote(shell, unresolved.getSnippet()), List.of());
        }
        return new ExecutionFailure(thrown.getClass().getName(), thrown.getMessage(), trace(origins, thrown));
    }

    static String unresolvedNote(JShell shell, DeclarationSnippet declaration) {
        String missing = shell.unresolvedDependencies(declaration).collect(Collectors.joining(", "));
        return Messages.UNRESOLVED.format(declaration.kind().name().toLowerCase(Locale.ROOT), declaration.name(),
                missing.isEmpty() ? Messages.UNRESOLVED_ERRORS.format() : Messages.UNRESOLVED_MISSING.format(missing));
    }

    /**
     * The frames in the user's terms: raw frames ({@code REPL.$JShell$6.f}, line of JShell's wrapper source) or, when
     * only JShell's translation is at hand, its {@code f(#6:2)} (method f of snippet 6, its line 2).
     */
    private static List<TraceFrame> trace(SnippetOrigins origins, Throwable thrown) {
        List<TraceFrame> frames = new ArrayList<>();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t != thrown) {
                String name = t instanceof EvalException e ? e.getExceptionClassName() : t.getClass().getName();
                frames.add(new TraceFrame.CausedBy(name, t.getMessage() == null ? "" : t.getMessage()));
            }
            StackTraceElement[] stack = t.getStackTrace();
            int last = stack.length - 1;
            while (last >= 0 && !stack[last].getClassName().startsWith(SNIPPET_PACKAGE)) {
                last--;
            }
            // Below the cell's own frame is only the kernel running it; without one, the kernel threw it (e.g. an
            // interrupt that abandoned the cell's thread), and none of its frames is the user's business.
            for (int i = 0; i <= last; i++) {
                frame(origins, stack[i]).ifPresent(frames::add);
            }
        }
        return frames;
    }

    /** Empty for frames of the kernel, the pipeline, JShell's machinery and method-handle plumbing. */
    private static Optional<TraceFrame> frame(SnippetOrigins origins, StackTraceElement frame) {
        String owner = frame.getClassName();
        if (owner.startsWith(SNIPPET_PACKAGE)) {
            return origins.frame(owner, frame.getMethodName(), frame.getLineNumber());
        }
        String file = frame.getFileName();
        if (file != null && file.startsWith("#")) {
            // JShell's translation (raw frames were not at hand): its snippet line numbering differs by snippet
            // kind, so only the snippet's cell is certain.
            String id = file.substring(1);
            String method = frame.getMethodName();
            Optional<String> shown = method.isEmpty() ? Optional.empty() : Optional.of(method);
            return Optional.of(origins.locate(id, frame.getLineNumber())
                    .map(at -> (TraceFrame) new TraceFrame.InCell(shown, at))
                    .orElse(new TraceFrame.Generated(shown.orElse("a cell"))));
        }
        if (HIDDEN_PACKAGES.stream().anyMatch(owner::startsWith)) {
            return Optional.empty();
        }
        return Optional.of(new TraceFrame.Library(frame.toString()));
    }

    private static final String SNIPPET_PACKAGE = "REPL.$JShell$";

    /** Frames users never need: ours, JShell's wrappers and engine, reflection and method-handle plumbing. */
    private static final List<String> HIDDEN_PACKAGES = List.of("jenzyme.", "REPL.", "jdk.jshell.", "jdk.internal.",
            "java.lang.invoke.", "java.lang.reflect.", "sun.reflect.", "org.dflib.");
}
