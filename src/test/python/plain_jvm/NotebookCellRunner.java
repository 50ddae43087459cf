import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.VarSnippet;

/**
 * Test support for the example notebooks, outside the kernel: evaluates a notebook's cells — prepared by
 * {@code stand_ins.py} as one file with a {@code //@@CELL <label>} line before each cell — in one JShell, the way a
 * notebook kernel does, and stops at the first compile error or exception with the cell's label. A cell whose last
 * expression is a {@code jenzyme.visualization} figure is rendered to PNG (into the directory given as the second
 * argument) and the bytes are checked to be a PNG. Prints "ALL CELLS OK" at the end; exits 1 on the first failure.
 *
 * <p>Run as a single-file program: {@code java -cp <hipparchus, visualization> NotebookCellRunner.java cells.jsh pngDir}.
 */
public class NotebookCellRunner {

    public static void main(String[] args) throws Exception {
        String source = Files.readString(Path.of(args[0]));
        Path pngDir = Path.of(args[1]);
        long start = System.nanoTime();
        try (JShell shell = JShell.builder().executionEngine("local").out(System.out).err(System.err).build()) {
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) shell.addToClasspath(entry);
            }
            for (String cell : source.split("(?m)^//@@CELL ")) {
                if (!cell.isBlank()) runCell(shell, cell, pngDir);
            }
        }
        System.out.printf("ALL CELLS OK in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    private static void runCell(JShell shell, String cell, Path pngDir) {
        int newline = cell.indexOf('\n');
        String label = cell.substring(0, newline).trim();
        String remaining = cell.substring(newline + 1);
        long start = System.nanoTime();
        String lastName = null, lastType = null;
        while (!remaining.isBlank()) {
            var completion = shell.sourceCodeAnalysis().analyzeCompletion(remaining);
            if (completion.completeness() == SourceCodeAnalysis.Completeness.EMPTY) break;
            String snippet = completion.source();
            if (snippet == null || snippet.isBlank()) fail(label, "incomplete Java source:\n" + remaining);
            remaining = completion.remaining();
            for (SnippetEvent event : shell.eval(snippet)) {
                if (event.causeSnippet() != null) continue;  // updates of dependent snippets, not this one
                check(shell, label, snippet, event);
                lastName = null;
                lastType = null;
                if (event.snippet() instanceof ExpressionSnippet expression) {
                    lastName = expression.name();
                    lastType = expression.typeName();
                } else if (event.snippet() instanceof VarSnippet variable
                        && variable.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND) {
                    lastName = variable.name();
                    lastType = variable.typeName();
                }
            }
        }
        if (lastType != null && lastType.startsWith("jenzyme.visualization.")) {
            renderFigure(shell, label, lastName, pngDir.resolve("cell-" + label.split(" ")[0] + ".png"));
        }
        System.out.printf("@@ cell %s ok (%.2f s)%n", label, (System.nanoTime() - start) / 1e9);
    }

    // Renders the figure the cell displays, as the kernel would, and checks that the bytes are a PNG image.
    private static void renderFigure(JShell shell, String label, String variable, Path png) {
        String path = png.toString().replace("\\", "\\\\");
        String code = "{ byte[] png$ = jenzyme.visualization.FigureRenderer.render(" + variable + ").png();"
                + " java.nio.file.Files.createDirectories(java.nio.file.Path.of(\"" + path + "\").getParent());"
                + " java.nio.file.Files.write(java.nio.file.Path.of(\"" + path + "\"), png$);"
                + " if (!(png$.length > 1000 && png$[0] == (byte) 0x89 && png$[1] == 'P' && png$[2] == 'N'"
                + " && png$[3] == 'G')) throw new AssertionError(\"expected PNG bytes, got \" + png$.length + \" bytes\"); }";
        for (SnippetEvent event : shell.eval(code)) check(shell, label + " (rendering its figure)", code, event);
        System.out.println("@@ figure of cell " + label + " -> " + png);
    }

    private static void check(JShell shell, String label, String snippet, SnippetEvent event) {
        if (event.status() == Snippet.Status.REJECTED) {
            StringBuilder messages = new StringBuilder();
            shell.diagnostics(event.snippet()).forEach(d -> messages.append(d.getMessage(Locale.ROOT)).append('\n'));
            fail(label, "compile error in\n" + snippet + "\n" + messages);
        }
        if (event.exception() != null) {
            Throwable thrown = event.exception();
            String message = thrown instanceof EvalException e ? e.getExceptionClassName() + ": " + e.getMessage()
                    : thrown.toString();
            thrown.printStackTrace();
            fail(label, message);
        }
    }

    private static void fail(String label, String message) {
        System.out.flush();
        System.err.println("@@ cell " + label + " FAILED: " + message);
        System.exit(1);
    }
}
