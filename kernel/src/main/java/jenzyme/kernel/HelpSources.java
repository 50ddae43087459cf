package jenzyme.kernel;

import jdk.jshell.SourceCodeAnalysis;
import jenzyme.kernel.exec.JavaEvaluator;
import jenzyme.kernel.help.NotebookHelp;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;

import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** What {@link NotebookHelp} reads from the running kernel: JShell's analysis and state, and the magics' help. */
record HelpSources(JavaEvaluator evaluator, MagicsRegistry magics, BaseKernel kernel, UnaryOperator<String> javaOnly)
        implements NotebookHelp.Sources {

    @Override
    public List<SourceCodeAnalysis.Documentation> documentation(String code, int cursor) {
        return evaluator.assistant().documentation(javaOnly.apply(code), cursor);
    }

    /** A magic's {@code %name ?} answer; magics without help (they would take "?" as an argument) give none. */
    @Override
    public Optional<String> magicHelp(String name) {
        if (!magics.getLineMagicNames().contains(name)) {
            return Optional.empty();
        }
        try {
            if (magics.evalLineMagic(kernel, name, List.of("?")) instanceof DisplayData help) {
                Object markdown = help.getData(MIMEType.TEXT_MARKDOWN);
                return Optional.ofNullable(markdown != null ? markdown : help.getData(MIMEType.TEXT_PLAIN))
                        .map(String::valueOf);
            }
        } catch (Exception noHelp) {
            // e.g. %classpath would look for a file called "?": that magic simply has no help text.
        }
        return Optional.empty();
    }

    @Override
    public boolean isCellMethod(String name) {
        return !evaluator.methods(name).isEmpty();
    }

    @Override
    public Optional<String> cellTypeSource(String name) {
        return evaluator.typeSource(name);
    }
}
