package jenzyme.magics.explain;

import java.util.ArrayList;
import java.util.List;
import jenzyme.magics.NotebookSession;
import jenzyme.magics.UserMethod;
import jenzyme.magics.binding.CompilerSession;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.SubsetExplainer.Problem;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.magic.LineMagic;

/**
 * {@code %autodiff --explain f}: before compiling anything, lists every construct of {@code f} and of the methods it
 * calls that {@code %autodiff} cannot compile, each at its cell line with the reason, or says that f compiles. Any
 * other {@code %autodiff} line goes to the magic that differentiates.
 */
public final class ExplainingAutodiff implements LineMagic<Object, BaseKernel> {

    private static final String FLAG = "--explain";
    private static final String EXPLAIN_HELP = "`%autodiff --explain f` lists, before compiling, every construct of f "
            + "and of the methods it calls that %autodiff cannot compile, with its cell line and the reason.";

    private final LineMagic<Object, BaseKernel> autodiff;
    private final CompilerSession compiler;
    private final NotebookSession notebook;

    public ExplainingAutodiff(LineMagic<Object, BaseKernel> autodiff, CompilerSession compiler, NotebookSession notebook) {
        this.autodiff = autodiff;
        this.compiler = compiler;
        this.notebook = notebook;
    }

    @Override
    public Object eval(BaseKernel kernel, List<String> words) throws Exception {
        if (!words.contains(FLAG)) {
            Object result = autodiff.eval(kernel, words);
            if (result instanceof DisplayData help && (words.equals(List.of("?")) || words.equals(List.of("--help")))) {
                help.putMarkdown(help.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_MARKDOWN)
                        + "\n\n" + EXPLAIN_HELP);
                help.putText(help.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN)
                        + "\n\n" + EXPLAIN_HELP.replace("`", ""));
            }
            return result;
        }
        List<String> rest = new ArrayList<>(words);
        rest.remove(FLAG);
        rest.removeIf(w -> w.equals("reverse") || w.equals("forward") || w.equals("hvp"));
        if (rest.size() != 1 || rest.getFirst().startsWith("-") || rest.getFirst().contains("=")) {
            throw new IllegalArgumentException(Messages.EXPLAIN_USAGE.format(String.join(" ", words)));
        }
        UserMethod method = compiler.method(rest.getFirst());
        return render(method.name(), compiler.explain(method));
    }

    private DisplayData render(String name, List<Problem> problems) {
        StringBuilder md = new StringBuilder();
        if (problems.isEmpty()) {
            md.append(Messages.EXPLAIN_COMPILES.format(name));
        } else {
            md.append((problems.size() == 1 ? Messages.EXPLAIN_ONE_PROBLEM : Messages.EXPLAIN_PROBLEMS).format(name,
                    problems.size()));
            // each method's problems by line, the methods in the order met (the explainer finds the problems kind by
            // kind: qa6 R14 saw lines 5, 3, 6)
            List<String> methods = problems.stream().map(p -> p.className() + "." + p.methodName()).distinct().toList();
            problems.stream().sorted(java.util.Comparator.comparingInt((Problem p) -> methods.indexOf(p.className()
                    + "." + p.methodName())).thenComparingInt(Problem::sourceLine))
                    .forEach(p -> md.append("\n- ").append(where(p)).append(": ").append(p.construct()));
            md.append("\n\n").append(Messages.EXPLAIN_SUBSET.format());
        }
        DisplayData data = new DisplayData(md.toString().replace("**", "").replace("`", ""));
        data.putMarkdown(md.toString());
        return data;
    }

    private String where(Problem p) {
        String method = "`" + p.methodName() + "`";
        if (p.sourceLine() < 1) {
            return Messages.EXPLAIN_SIGNATURE.format(method);
        }
        return notebook.cellLine(p.className(), p.sourceLine())
                .map(line -> method + ", " + line.replaceFirst(": ", ": `") + "`")
                .orElse(Messages.EXPLAIN_LINE.format(method, p.sourceLine()));
    }
}
