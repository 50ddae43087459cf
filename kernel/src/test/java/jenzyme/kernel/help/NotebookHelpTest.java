package jenzyme.kernel.help;

import jdk.jshell.SourceCodeAnalysis;
import jenzyme.kernel.exec.JavaEvaluator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Help as the inspector shows it, from a real JShell: JDK Javadoc, the project's bundled sources, generated bindings. */
class NotebookHelpTest {

    private JavaEvaluator evaluator;
    private NotebookHelp help;

    @BeforeEach
    void start() throws Exception {
        evaluator = JavaEvaluator.start(NotebookHelpTest.class.getClassLoader());
        evaluator.beginCell();
        help = new NotebookHelp(new NotebookHelp.Sources() {
            @Override
            public List<SourceCodeAnalysis.Documentation> documentation(String code, int cursor) {
                return evaluator.assistant().documentation(code, cursor);
            }

            @Override
            public Optional<String> magicHelp(String name) {
                return name.equals("autodiff") ? Optional.of("**usage:** `%autodiff ...`") : Optional.empty();
            }

            @Override
            public boolean isCellMethod(String name) {
                return !evaluator.methods(name).isEmpty();
            }

            @Override
            public Optional<String> cellTypeSource(String name) {
                return evaluator.typeSource(name);
            }
        }, NotebookHelpTest.class.getClassLoader());
    }

    @AfterEach
    void stop() {
        evaluator.close();
    }

    private String markdown(String code) {
        return help.at(code, code.length()).orElseThrow(() -> new AssertionError("no help for " + code)).markdown();
    }

    @Test
    void jdkJavadocBecomesMarkdownWithAParameterList() {
        String md = markdown("Math.hypot");
        assertTrue(md.startsWith("```java\ndouble Math.hypot(double x, double y)\n```\n\n"), md);
        assertTrue(md.contains("**Parameters**\n\n- `x` — a value\n- `y` — a value"), md);
        assertTrue(md.contains("**Returns** sqrt(*x*"), md);
        assertTrue(!md.contains("<p>") && !md.contains("@param") && !md.contains("{@code"), md);
    }

    @Test
    void projectClassesAreDocumentedFromTheirBundledSourcesWithRealParameterNames() throws Exception {
        evaluator.eval("import jenzyme.visualization.Plots;");
        String type = markdown("Plots");
        assertTrue(type.contains("```java\nPlots.function(x -> Math.tanh(x)"), "the class example is a code block: " + type);
        String method = markdown("Plots.convergence(\"loss\", new double[] {1}");
        assertTrue(method.startsWith("```java\njenzyme.visualization.LinePlot Plots.convergence(String name, double[] losses)"),
                method);
        assertTrue(method.contains("A convergence plot of one loss history"), method);
    }

    @Test
    void generatedBindingsExplainThemselvesWithAnExampleInTheUsersNames() throws Exception {
        evaluator.eval("double loss(double[] p, double x) { return p[0] * x; }");
        evaluator.eval("record LossGradient(double value, double[] dp, double dx) {}");
        evaluator.eval("LossGradient loss_grad(double[] p, double x) { return null; }");
        evaluator.eval("double loss_grad_into(double[] p, double[] dp, double x, double[] dActive) { return 0; }");
        String grad = markdown("loss_grad");
        assertTrue(grad.contains("**Reverse-mode gradient of `loss`**, bound by `%autodiff reverse loss`"), grad);
        assertTrue(grad.contains("```java\nLossGradient g = loss_grad(p, x);\ndouble value = g.value();\n"
                + "double[] dp = g.dp();   // ∂loss/∂p\n```"), grad);
        String into = markdown("loss_grad_into");
        assertTrue(into.contains("double[] dp = new double[p.length];   // zeros: the gradient is added\n"
                + "double[] dActive = new double[1];\ndouble value = loss_grad_into(p, dp, x, dActive);"), into);
        evaluator.eval("double loss_grad_set(double[] p, double[] dp, double x, double[] dActive) { return 0; }");
        String set = markdown("loss_grad_set");
        assertTrue(set.contains("which is **written** with the gradient (no need to zero it"), set);
        assertTrue(set.contains("double[] dp = new double[p.length];   // overwritten with the gradient\n"
                + "double[] dActive = new double[1];\ndouble value = loss_grad_set(p, dp, x, dActive);"), set);
        String record = markdown("LossGradient");
        assertTrue(record.contains("- `double[] dp` — ∂loss/∂p, one entry per element of `p`\n- `double dx` — ∂loss/∂x"),
                record);
    }

    @Test
    void aMagicNameShowsTheMagicsHelp() {
        assertEquals("**usage:** `%autodiff ...`", help.at("%autodiff reverse f", 5).orElseThrow().markdown());
        assertEquals(Optional.empty(), help.at("%nosuch", 4));
    }

    @Test
    void javadocHtmlListsCodeAndExamplesBecomeMarkdown() {
        String md = JavadocMarkdown.toMarkdown("""
                Sums {@code a} and {@link #b b}; see {@link java.lang.Math#abs(double)}.<p>Cases:<ul><li>one</li>
                <li><b>two</b> &lt;3</li></ul>
                <pre>{@code
                    @Override
                    int f() { return new int[] {1}[0]; }
                }</pre>
                @param a the first
                @param <T> a type
                @return the sum
                @throws IllegalArgumentException if negative
                @since 1.2
                """);
        assertEquals("""
                Sums `a` and `b`; see `java.lang.Math.abs()`.
                
                Cases:
                
                - one
                - **two** <3
                
                ```java
                @Override
                int f() { return new int[] {1}[0]; }
                ```
                
                **Parameters**
                
                - `a` — the first
                - `T` — a type
                
                **Returns** the sum
                
                **Throws**
                
                - `IllegalArgumentException` — if negative""", md);
    }
}
