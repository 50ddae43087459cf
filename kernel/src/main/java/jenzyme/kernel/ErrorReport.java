package jenzyme.kernel;

import jenzyme.kernel.cell.MagicSyntaxException;
import jenzyme.kernel.exec.CellInterruptedError;
import jenzyme.kernel.exec.CompilationFailure;
import jenzyme.kernel.exec.EvaluationException;
import jenzyme.kernel.exec.EvaluationInterrupted;
import jenzyme.kernel.exec.ExecutionFailure;
import jenzyme.kernel.exec.IncompleteSource;
import jenzyme.magics.DefinitionException;
import jenzyme.runtime.error.JEnzymeException;
import org.dflib.jjava.jupyter.kernel.magic.MagicArgsParseException;
import org.dflib.jjava.jupyter.kernel.magic.UndefinedMagicException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A failed cell as Jupyter shows it: error name, value and traceback lines. One place decides how each kind of
 * failure reads: compiler errors point at the cell line, user exceptions show JShell's snippet frames, expected
 * failures of magics and of the compilation pipeline show their message without kernel stack frames.
 */
record ErrorReport(String name, String value, List<String> traceback) {

    static ErrorReport of(Throwable failure) {
        return switch (failure) {
            case EvaluationException evaluation -> ofEvaluation(evaluation);
            case MagicFailure magic -> ofMagic(magic);
            case MagicSyntaxException syntax ->
                    new ErrorReport("MagicSyntaxError", syntax.getMessage(), List.of(syntax.getMessage()));
            default -> unexpected(failure);
        };
    }

    private static ErrorReport ofEvaluation(EvaluationException failure) {
        return switch (failure) {
            case CompilationFailure compilation -> {
                List<String> lines = new ArrayList<>();
                for (CompilationFailure.Diagnostic d : compilation.diagnostics()) {
                    lines.add("Compilation error, line " + d.line() + ", column " + d.column() + ": " + d.message());
                    lines.add("    " + d.sourceLine());
                    lines.add("    " + " ".repeat(Math.max(0, d.column() - 1)) + "^");
                }
                yield new ErrorReport("CompilationError", compilation.diagnostics().getFirst().message(), lines);
            }
            case ExecutionFailure execution -> {
                List<String> lines = new ArrayList<>();
                lines.add(execution.exceptionClass() + (execution.detail().isEmpty() ? "" : ": " + execution.detail()));
                lines.addAll(execution.stackTrace());
                yield new ErrorReport(execution.exceptionClass(), execution.detail(), lines);
            }
            case IncompleteSource incomplete ->
                    new ErrorReport("IncompleteInput", incomplete.getMessage(), List.of(incomplete.getMessage()));
            case EvaluationInterrupted interrupted ->
                    new ErrorReport("Interrupted", interrupted.getMessage(), List.of("Interrupted: " + interrupted.getMessage()));
        };
    }

    private static ErrorReport ofMagic(MagicFailure failure) {
        Throwable cause = failure.getCause();
        String name = cause.getClass().getSimpleName();
        String message = String.valueOf(cause.getMessage());
        return switch (cause) {
            case EvaluationException evaluation -> ofEvaluation(evaluation);
            case CellInterruptedError interrupted -> new ErrorReport("Interrupted", interrupted.getMessage(),
                    List.of("Interrupted: " + failure.getMessage()));
            case UndefinedMagicException undefined -> new ErrorReport("UndefinedMagic", undefined.getMessage(),
                    List.of(undefined.getMessage() + "; known magics: " + failure.knownMagics()));
            case MagicArgsParseException _, IllegalArgumentException _, DefinitionException _, JEnzymeException _ ->
                    new ErrorReport(name, message, List.of(failure.getMessage()));
            default -> {
                ErrorReport report = unexpected(cause);
                List<String> lines = new ArrayList<>(List.of(failure.getMessage()));
                lines.addAll(report.traceback());
                yield new ErrorReport(report.name(), report.value(), lines);
            }
        };
    }

    private static ErrorReport unexpected(Throwable failure) {
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        return new ErrorReport(failure.getClass().getName(), String.valueOf(failure.getMessage()),
                trace.toString().lines().toList());
    }
}
