package jenzyme.runtime.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.source.tree.BinaryTree;
import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.ConditionalExpressionTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.NewClassTree;
import com.sun.source.tree.ParenthesizedTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.TreeScanner;
import com.sun.source.util.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard behind "every message text in one catalogue": no main source of the modules that talk to the user builds
 * an exception (or error), or passes to {@code super} in an exception's constructor, a string literal: directly,
 * joined with {@code +}, chosen by {@code ?:} or as {@code String.format}'s pattern; the text belongs in
 * {@link Messages}. Literals deeper inside (a separator passed to {@code String.join}, an empty stderr) are not
 * message text. It parses the sources with javac's tree API rather than grepping, so a literal that only
 * <em>contains</em> {@code new XException(} (generated source in {@code BindingStubs}) is not mistaken for one, and a
 * constructor call split over lines is not missed.
 */
class InlineMessagesTest {

    /** The modules whose texts reach the user (visualization and the benchmark harness do not use the catalogue). */
    private static final List<String> MODULES = List.of("enzyme-runtime", "hipparchus-bridge", "magics", "kernel", "spark");

    @Test
    void noMainSourceBuildsAnExceptionMessageFromAStringLiteral() throws IOException {
        List<String> inline = inlineTexts();
        assertEquals(List.of(), inline, inline.size() + " exception texts written inline; move them into Messages");
    }

    @Test
    void theGuardSeesTheModulesItGuards() throws IOException {
        assertTrue(sources().size() > 100, "expected the main sources of " + MODULES + " under " + root());
    }

    @Test
    void theGuardFindsInlineTextsInEveryFormAndNothingElse(@TempDir Path dir) throws IOException {
        Path source = dir.resolve("Sample.java");
        Files.writeString(source, """
                class Sample {
                    void f(int n, String s) {
                        if (n == 1) throw new IllegalArgumentException("plain");
                        if (n == 2) throw new IllegalStateException("joined " + n);
                        if (n == 3) throw new ArithmeticException(n > 0 ? "chosen" : s);
                        if (n == 4) throw new StackOverflowError(String.format("formatted %d", n));
                        if (n == 5) throw new IllegalArgumentException(String.join(", ", s));
                        if (n == 6) throw new IllegalArgumentException(s, new RuntimeException(""));
                        String literal = "new IllegalArgumentException(\"generated\")";
                    }
                    static class SampleException extends Exception {
                        SampleException(String s) { super("worded " + s); }
                        SampleException() { super(""); }
                    }
                }
                """);
        assertEquals(List.of("Sample.java:3", "Sample.java:4", "Sample.java:5", "Sample.java:6", "Sample.java:12"),
                inlineTexts(List.of(source), dir));
    }

    static List<String> inlineTexts() throws IOException {
        return inlineTexts(sources(), root());
    }

    static List<String> inlineTexts(List<Path> sources, Path root) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> found = new ArrayList<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
            JavacTask task = (JavacTask) javac.getTask(null, files, diagnostic -> { }, List.of("-proc:none"), null,
                    files.getJavaFileObjectsFromPaths(sources));
            SourcePositions positions = Trees.instance(task).getSourcePositions();
            for (CompilationUnitTree unit : task.parse()) {
                new TreeScanner<Void, String>() {
                    @Override
                    public Void visitClass(ClassTree node, String enclosing) {
                        return super.visitClass(node, node.getSimpleName().toString());
                    }

                    @Override
                    public Void visitNewClass(NewClassTree node, String enclosing) {
                        if (isThrowable(node.getIdentifier().toString()) && hasLiteral(node.getArguments())) {
                            report(node);
                        }
                        return super.visitNewClass(node, enclosing);
                    }

                    /** {@code super("text")} in an exception's own constructor. */
                    @Override
                    public Void visitMethodInvocation(MethodInvocationTree node, String enclosing) {
                        if (node.getMethodSelect().toString().equals("super") && enclosing != null
                                && isThrowable(enclosing) && hasLiteral(node.getArguments())) {
                            report(node);
                        }
                        return super.visitMethodInvocation(node, enclosing);
                    }

                    private void report(Tree node) {
                        long line = unit.getLineMap().getLineNumber(positions.getStartPosition(unit, node));
                        found.add(root.relativize(Path.of(unit.getSourceFile().toUri())) + ":" + line);
                    }
                }.scan(unit, null);
            }
        }
        return found;
    }

    private static boolean isThrowable(String simpleName) {
        return simpleName.endsWith("Exception") || simpleName.endsWith("Error");
    }

    /** Whether an argument carries text of its own: a literal, joined with +, chosen by ?: or String.format's. */
    private static boolean hasLiteral(List<? extends ExpressionTree> arguments) {
        return arguments.stream().anyMatch(InlineMessagesTest::isText);
    }

    private static boolean isText(ExpressionTree expression) {
        return switch (expression) {
            case LiteralTree literal -> literal.getValue() instanceof String text && !text.isEmpty();
            case BinaryTree plus when plus.getKind() == Tree.Kind.PLUS ->
                    isText(plus.getLeftOperand()) || isText(plus.getRightOperand());
            case ParenthesizedTree parenthesized -> isText(parenthesized.getExpression());
            case ConditionalExpressionTree choice -> isText(choice.getTrueExpression()) || isText(choice.getFalseExpression());
            case MethodInvocationTree call when call.getMethodSelect() instanceof MemberSelectTree select -> {
                String method = select.getIdentifier().toString();
                yield method.equals("format") && select.getExpression().toString().equals("String")
                        ? isText(call.getArguments().getFirst())
                        : method.equals("formatted") && isText(select.getExpression());
            }
            default -> false;
        };
    }

    private static List<Path> sources() throws IOException {
        List<Path> sources = new ArrayList<>();
        for (String module : MODULES) {
            try (Stream<Path> walk = Files.walk(root().resolve(module).resolve("src/main/java"))) {
                walk.filter(path -> path.toString().endsWith(JavaFileObject.Kind.SOURCE.extension)).forEach(sources::add);
            }
        }
        return sources;
    }

    /** The repository: Maven runs a module's tests in the module's directory. */
    private static Path root() {
        return Path.of("").toAbsolutePath().getParent();
    }
}
