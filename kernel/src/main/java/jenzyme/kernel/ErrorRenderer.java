package jenzyme.kernel;

import jenzyme.kernel.cell.MagicSyntaxException;
import jenzyme.kernel.exec.CellInterruptedError;
import jenzyme.kernel.exec.CellLocation;
import jenzyme.kernel.exec.CompilationFailure;
import jenzyme.kernel.exec.EvaluationException;
import jenzyme.kernel.exec.EvaluationInterrupted;
import jenzyme.kernel.exec.ExecutionFailure;
import jenzyme.kernel.exec.IncompleteSource;
import jenzyme.kernel.exec.SnippetOrigins;
import jenzyme.kernel.exec.TraceFrame;
import jenzyme.magics.DefinitionException;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.JEnzymeException;
import jenzyme.runtime.error.JitException;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.error.WorkerException;
import jenzyme.runtime.lower.CompiledNames;
import org.dflib.jjava.jupyter.kernel.magic.MagicArgsParseException;
import org.dflib.jjava.jupyter.kernel.magic.UndefinedMagicException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one place that decides how a failed cell reads ({@link ErrorReport}): compiler errors point at the cell line,
 * user exceptions show their frames as cell lines with the source quoted, and the pipeline's exceptions are rendered
 * from their structure with a {@code switch} over the sealed {@link JEnzymeException} types: the method as written,
 * the line in the user's cell quoted, never JShell's wrapper classes, descriptors or the kernel's frames. IR and the
 * worker's stderr, which those exceptions carry, are shown when the magic line asks for {@code --verbose}. The texts
 * come from {@link Messages}.
 */
final class ErrorRenderer {

    private final SnippetOrigins origins;

    ErrorRenderer(SnippetOrigins origins) {
        this.origins = origins;
    }

    ErrorReport render(Throwable failure) {
        return switch (failure) {
            case EvaluationException evaluation -> ofEvaluation(evaluation);
            case MagicFailure magic -> ofMagic(magic);
            case MagicSyntaxException syntax ->
                    new ErrorReport("MagicSyntaxError", syntax.getMessage(), List.of(syntax.getMessage()));
            default -> unexpected(failure);
        };
    }

    private ErrorReport ofEvaluation(EvaluationException failure) {
        return switch (failure) {
            case CompilationFailure compilation -> {
                List<String> lines = new ArrayList<>();
                for (CompilationFailure.Diagnostic d : compilation.diagnostics()) {
                    lines.add(Messages.COMPILATION_ERROR.format(d.line(), d.column(), d.message()));
                    lines.add("    " + d.sourceLine());
                    lines.add("    " + " ".repeat(Math.max(0, d.column() - 1)) + "^");
                }
                yield new ErrorReport("CompilationError", compilation.diagnostics().getFirst().message(), lines);
            }
            case ExecutionFailure execution -> {
                String detail = CompiledNames.readable(execution.detail());
                List<String> lines = new ArrayList<>();
                lines.add(execution.exceptionClass() + (detail.isEmpty() ? "" : ": " + detail));
                execution.trace().forEach(frame -> lines.addAll(frameLines(frame)));
                yield new ErrorReport(execution.exceptionClass(), detail, lines);
            }
            case IncompleteSource incomplete ->
                    new ErrorReport("IncompleteInput", incomplete.getMessage(), List.of(incomplete.getMessage()));
            case EvaluationInterrupted interrupted -> {
                List<String> lines = new ArrayList<>(List.of(Messages.INTERRUPTED.format(interrupted.getMessage())));
                interrupted.trace().forEach(frame -> lines.addAll(frameLines(frame)));
                yield new ErrorReport("Interrupted", interrupted.getMessage(), lines);
            }
        };
    }

    private static List<String> frameLines(TraceFrame frame) {
        return switch (frame) {
            case TraceFrame.InCell cell -> located(cell.method(), cell.at());
            case TraceFrame.Generated generated -> List.of("  " + Messages.GENERATED_FRAME.format(generated.method()));
            case TraceFrame.Library library -> List.of("  " + Messages.LIBRARY_FRAME.format(library.frame()));
            case TraceFrame.CausedBy cause -> List.of(Messages.CAUSED_BY.format(cause.exceptionClass()
                    + (cause.detail().isEmpty() ? "" : ": " + cause.detail())));
        };
    }

    /** {@code h(double), cell [3], line 2:} and the line quoted with a marker. */
    private static List<String> located(Optional<String> method, CellLocation at) {
        String place = at.cell().isEmpty() ? Messages.LINE.format(at.line())
                : Messages.CELL_LINE.format(at.cell(), at.line());
        return List.of("  " + method.map(m -> Messages.IN_METHOD_AT.format(m, place)).orElse(Messages.AT.format(place)),
                "  " + Messages.QUOTED_LINE.format(at.line(), at.sourceLine()));
    }

    private ErrorReport ofMagic(MagicFailure failure) {
        Throwable cause = failure.getCause();
        String name = cause.getClass().getSimpleName();
        String message = String.valueOf(cause.getMessage());
        return switch (cause) {
            case EvaluationException evaluation -> ofEvaluation(evaluation);
            case CellInterruptedError interrupted -> new ErrorReport("Interrupted", interrupted.getMessage(),
                    List.of(Messages.INTERRUPTED.format(failure.getMessage())));
            case jenzyme.magics.MagicInterruptedException _ -> {
                String headline = Messages.MAGIC_INTERRUPTED.format(failure.magic());
                yield new ErrorReport("Interrupted", headline, List.of(headline));
            }
            case UndefinedMagicException undefined -> new ErrorReport("UndefinedMagic", undefined.getMessage(),
                    List.of(Messages.UNKNOWN_MAGIC.format(undefined.getMessage(), failure.knownMagics())));
            case JEnzymeException pipeline -> ofPipeline(failure, pipeline);
            case DefinitionException refused -> {
                String headline = Messages.DEFINITION_REFUSED.format(String.join("; ", refused.problems()));
                List<String> lines = new ArrayList<>(List.of(Messages.MAGIC_FAILED.format(failure.magic(), headline)));
                if (failure.verbose()) {
                    lines.addAll(section(Messages.GENERATED_SOURCE.format(), refused.snippet()));
                } else {
                    lines.add(Messages.VERBOSE_HINT.format(Messages.GENERATED_SOURCE.format()));
                }
                yield new ErrorReport(name, headline, lines);
            }
            case MagicArgsParseException _, IllegalArgumentException _ ->
                    new ErrorReport(name, message, List.of(failure.getMessage()));
            // Our own exceptions (a gradient check that failed, a plot whose function threw) say what went wrong.
            case RuntimeException ours when cause.getClass().getName().startsWith("jenzyme.") ->
                    new ErrorReport(name, message, List.of(failure.getMessage()));
            default -> {
                // A bug: the stack trace helps whoever reports it, but it is the kernel's, so only on request.
                List<String> lines = new ArrayList<>(List.of(Messages.MAGIC_FAILED.format(failure.magic(),
                        Messages.INTERNAL_ERROR.format(cause))));
                if (failure.verbose()) {
                    lines.addAll(unexpected(cause).traceback());
                } else {
                    lines.add(Messages.VERBOSE_HINT.format(Messages.STACK_TRACE.format()));
                }
                yield new ErrorReport(cause.getClass().getName(), message, lines);
            }
        };
    }

    /** A stage of the pipeline refused: its structure, in the user's words; details behind --verbose. */
    private ErrorReport ofPipeline(MagicFailure failure, JEnzymeException exception) {
        List<String> where = new ArrayList<>();
        List<String> details = new ArrayList<>();
        String headline = switch (exception) {
            case LoweringException lowering -> {
                String method = lowering.className().flatMap(owner -> lowering.methodName()
                        .map(m -> origins.methodAsWritten(owner, m, lowering.descriptor().orElse("")))).or(lowering::methodName).orElse("this method");
                // a refused signature has no bytecode line: the method's declaration is the line to quote
                Optional<CellLocation> at = lowering.className().flatMap(owner -> lowering.sourceLine() > 0
                        ? origins.locateInClass(owner, lowering.sourceLine())
                        : lowering.methodName().flatMap(m -> origins.declaration(owner, m)));
                at.ifPresent(location -> where.addAll(located(Optional.of(method), location)));
                if (at.isEmpty() && lowering.sourceLine() > 0) {
                    where.add("  " + Messages.IN_METHOD_AT.format(method, Messages.LINE.format(lowering.sourceLine())));
                }
                lowering.irText().ifPresent(ir -> details.addAll(section("LLVM IR", ir)));
                yield Messages.CANNOT_COMPILE.format(method, lowering.problem());
            }
            case DifferentiationException refused when refused.phase().equals(DifferentiationException.REQUEST)
                    && !refused.function().startsWith("jz_") -> refused.getMessage();
            case DifferentiationException differentiation -> {
                details.addAll(section("Enzyme worker message", differentiation.workerMessage()));
                yield Messages.CANNOT_DIFFERENTIATE.format(differentiation.phase(),
                        differentiation.workerMessage().lines().findFirst().orElse(""));
            }
            case WorkerException worker -> {
                String text = worker.getMessage();
                int tail = text.indexOf("\nworker stderr:");
                if (!worker.stderrTail().isBlank()) {
                    details.addAll(section("worker stderr", worker.stderrTail()));
                }
                yield Messages.WORKER_FAILED.format(tail < 0 ? text : text.substring(0, tail));
            }
            case JitException jit -> {
                jit.irText().ifPresent(ir -> details.addAll(section("LLVM IR", ir)));
                yield Messages.JIT_FAILED.format(jit.getMessage());
            }
            case BindingException binding -> Messages.BINDING_FAILED.format(binding.getMessage());
        };
        headline = CompiledNames.readable(headline);
        String first = Messages.MAGIC_FAILED.format(failure.magic(), headline);
        List<String> lines = new ArrayList<>(List.of(first));
        lines.addAll(where);
        if (failure.verbose()) {
            lines.addAll(details);
        } else if (!details.isEmpty()) {
            lines.add(Messages.VERBOSE_HINT.format(details.getFirst().replace("--- ", "").replace(" ---", "")));
        }
        String value = headline + (where.isEmpty() ? "" : " (" + where.getFirst().strip().replaceAll(":$", "") + ")");
        return new ErrorReport(exception.getClass().getSimpleName(), value, lines);
    }

    private static List<String> section(String title, String text) {
        List<String> lines = new ArrayList<>(List.of(Messages.VERBOSE_SECTION.format(title)));
        lines.addAll(text.strip().lines().toList());
        return lines;
    }

    private static ErrorReport unexpected(Throwable failure) {
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        return new ErrorReport(failure.getClass().getName(), String.valueOf(failure.getMessage()),
                trace.toString().lines().toList());
    }
}
