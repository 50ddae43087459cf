package jenzyme.kernel;

import jenzyme.kernel.cell.CellParser;
import jenzyme.kernel.cell.CellPart;
import jenzyme.kernel.exec.EvaluationException;
import jenzyme.kernel.exec.JavaEvaluator;
import jenzyme.kernel.help.NotebookHelp;
import jenzyme.runtime.bind.InterruptFlag;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs one cell: parses it ({@link CellParser}), then evaluates its Java parts with the {@link JavaEvaluator} and
 * its magics through the {@link MagicsRegistry}, in order, stopping at the first failure. The last part's value is
 * the cell's result; a magic's output before that is shown where the magic stands, between the other parts' output. {@code name?} alone in a cell asks for documentation, paged as in IPython.
 */
final class CellExecutor {

    private static final Pattern HELP_REQUEST = Pattern.compile("\\A\\s*([A-Za-z_$][\\w$.]*)\\s*\\?\\s*\\z");

    /** What a cell produced: an execute_result, or text for the pager. */
    record CellResult(Optional<DisplayData> value, Optional<NotebookHelp.Help> page) {
    }

    private final JavaEvaluator evaluator;
    private final MagicsRegistry magics;
    private final BaseKernel kernel;
    private final Displays displays;
    private final Consumer<DisplayData> showNow;
    private final NotebookHelp help;
    private final Runnable magicEnded;

    /**
     * {@code showNow} publishes output at once, after what the cell printed so far; {@code magicEnded} runs after
     * each magic, its output rendered.
     */
    CellExecutor(JavaEvaluator evaluator, MagicsRegistry magics, BaseKernel kernel, Displays displays,
                 Consumer<DisplayData> showNow, NotebookHelp help, Runnable magicEnded) {
        this.evaluator = evaluator;
        this.magics = magics;
        this.kernel = kernel;
        this.displays = displays;
        this.showNow = showNow;
        this.help = help;
        this.magicEnded = magicEnded;
    }

    /** Runs {@code cell}, which Jupyter labels {@code label} (e.g. {@code [5]}; named in error reports). */
    CellResult run(String cell, String label) throws EvaluationException, MagicFailure {
        evaluator.beginCell(label);
        // Compiled loops poll this flag; an interrupt at rest or aimed at the previous cell must not stop this one.
        InterruptFlag.global().clear();
        Matcher help = HELP_REQUEST.matcher(cell);
        if (help.matches()) {
            String name = help.group(1);
            return new CellResult(Optional.empty(), Optional.of(this.help.at(name, name.length())
                    .orElse(new NotebookHelp.Help("No documentation found for `" + name + "`"))));
        }
        Optional<DisplayData> value = Optional.empty();
        List<CellPart> parts = CellParser.parse(cell);
        for (CellPart part : parts) {
            evaluator.checkInterrupted();
            value = switch (part) {
                case CellPart.JavaCode java -> {
                    JavaEvaluator.CellOutcome outcome = evaluator.eval(java.source());
                    outcome.unresolved().forEach(note -> System.err.println("note: " + note));
                    outcome.warnings().forEach(warning -> System.err.println("warning: " + warning));
                    yield outcome.value().map(displays::ofValue);
                }
                case CellPart.LineMagicCall call -> magicResult("%" + call.name(), call.args(),
                        () -> magics.evalLineMagic(kernel, call.name(), call.args()));
                case CellPart.CellMagicCall call -> magicResult("%%" + call.name(), call.args(),
                        () -> magics.evalCellMagic(kernel, call.name(), call.args(), call.body()));
            };
            if (part != parts.getLast() && !(part instanceof CellPart.JavaCode)) {
                // Only the last part is the cell's result; a magic's summary must not vanish mid-cell.
                value.ifPresent(showNow);
                value = Optional.empty();
            }
        }
        return new CellResult(value, Optional.empty());
    }

    @FunctionalInterface
    private interface MagicCall {
        Object call() throws Exception;
    }

    private Optional<DisplayData> magicResult(String magic, List<String> arguments, MagicCall call)
            throws MagicFailure {
        try {
            // Rendering belongs to the magic too: a figure evaluates its function when it is drawn.
            return Optional.ofNullable(call.call()).map(displays::of);
        } catch (Throwable failure) {
            // Magics may throw anything; the kernel must answer with an error and keep serving.
            throw new MagicFailure(magic, arguments, failure, magicNames());
        } finally {
            magicEnded.run();
        }
    }

    private Set<String> magicNames() {
        Set<String> names = new TreeSet<>();
        magics.getLineMagicNames().forEach(n -> names.add("%" + n));
        magics.getCellMagicNames().forEach(n -> names.add("%%" + n));
        return names;
    }
}
