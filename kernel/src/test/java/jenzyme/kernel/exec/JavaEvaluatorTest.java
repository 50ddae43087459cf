package jenzyme.kernel.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class JavaEvaluatorTest {

    /** Static state shared with cells: proves snippets see the kernel's classes, not copies of them. */
    public static final AtomicInteger SHARED = new AtomicInteger();

    private JavaEvaluator evaluator;

    @BeforeEach
    void start() {
        evaluator = JavaEvaluator.start(JavaEvaluatorTest.class.getClassLoader());
        evaluator.beginCell();
    }

    @AfterEach
    void stop() {
        evaluator.close();
    }

    private Object valueOf(String cell) throws EvaluationException {
        return evaluator.eval(cell).value().orElseThrow(() -> new AssertionError("no value for " + cell)).value();
    }

    @Test
    void expressionYieldsItsValueObjectAndJShellText() throws Exception {
        SnippetValue value = evaluator.eval("1 + 1").value().orElseThrow();
        assertEquals(2, value.value());
        assertEquals("2", value.text());
        assertEquals("\"ab\"", evaluator.eval("\"a\" + \"b\"").value().orElseThrow().text());
    }

    @Test
    void aNotebookVariableIsReadFromItsFieldWithoutRunningASnippet() throws Exception {
        evaluator.eval("var held = new StringBuilder(\"first\");");
        Object first = valueOf("held");
        long snippets = evaluator.snippetCount();
        assertTrue(first == evaluator.variable("held").orElseThrow().value());
        evaluator.eval("held = null;");
        assertEquals(null, evaluator.variable("held").orElseThrow().value());
        evaluator.eval("double[] held = {2.5};"); // redeclared with another type: the active one is read
        assertEquals(2.5, ((double[]) evaluator.variable("held").orElseThrow().value())[0]);
        assertEquals(Optional.empty(), evaluator.variable("nothing"));
        assertEquals(snippets + 2, evaluator.snippetCount(), "only the two cells above added snippets");
    }

    @Test
    void declarationsAndStatementsHaveNoValue() throws Exception {
        assertEquals(Optional.empty(), evaluator.eval("int x = 3;").value());
        assertEquals(Optional.empty(), evaluator.eval("x = 4").value());
        assertEquals(Optional.empty(), evaluator.eval("x++;").value(), "a typed semicolon hides the value");
        assertEquals(Optional.empty(), evaluator.eval("if (x > 0) x++;").value());
        assertEquals(6, valueOf("x"));
    }

    @Test
    void multiSnippetCellRunsInOrderAndShowsTheLastValue() throws Exception {
        assertEquals(42, valueOf("int a = 6;\nint b = 7;\na * b"));
        assertEquals(Optional.empty(), evaluator.eval("a * b;\nint c = 1;").value());
    }

    @Test
    void methodsClassesAndImportsPersistAcrossCells() throws Exception {
        evaluator.eval("import java.util.concurrent.atomic.AtomicLong;");
        evaluator.eval("double square(double t) { return t * t; }");
        evaluator.eval("record Point(double x, double y) { double norm2() { return square(x) + square(y); } }");
        assertEquals(25.0, valueOf("new Point(3, 4).norm2()"));
        assertEquals(7L, valueOf("new AtomicLong(7).get()"));
    }

    @Test
    void redefinitionReplacesTheMethodForItsCallers() throws Exception {
        evaluator.eval("double f(double t) { return t * t; }");
        evaluator.eval("double loss(double t) { return f(t) + 1; }");
        assertEquals(5.0, valueOf("loss(2)"));
        evaluator.eval("double f(double t) { return t * t * t; }");
        assertEquals(9.0, valueOf("loss(2)"));
    }

    @Test
    void compileErrorCarriesTheCompilerMessageAndCellPosition() throws Exception {
        CompilationFailure failure = assertThrows(CompilationFailure.class,
                () -> evaluator.eval("int ok = 1;\nint y = undefinedThing + 1;"));
        CompilationFailure.Diagnostic diagnostic = failure.diagnostics().getFirst();
        assertTrue(diagnostic.message().contains("cannot find symbol"), diagnostic.message());
        assertTrue(diagnostic.message().contains("undefinedThing"), diagnostic.message());
        assertEquals(2, diagnostic.line());
        assertEquals(9, diagnostic.column());
        assertEquals("int y = undefinedThing + 1;", diagnostic.sourceLine());
        // The snippet before the error stays defined, and the evaluator keeps working.
        assertEquals(2, valueOf("ok + 1"));
    }

    @Test
    void typeErrorIsACompilationFailure() {
        CompilationFailure failure = assertThrows(CompilationFailure.class, () -> evaluator.eval("int s = \"text\";"));
        assertTrue(failure.getMessage().contains("incompatible types"), failure.getMessage());
    }

    @Test
    void runtimeExceptionNamesItsClassMessageAndCellFrames() throws Exception {
        evaluator.beginCell("[7]");
        evaluator.eval("int divide(int a, int b) {\n  return a / b;\n}");
        evaluator.beginCell("[8]");
        ExecutionFailure failure = assertThrows(ExecutionFailure.class,
                () -> evaluator.eval("int one = 1;\n\nint q = divide(one,\n 0);"));
        assertEquals("java.lang.ArithmeticException", failure.exceptionClass());
        assertEquals("/ by zero", failure.detail());
        assertEquals(List.of(new TraceFrame.InCell(Optional.of("divide(int, int)"), new CellLocation("[7]", 2, "  return a / b;")),
                new TraceFrame.InCell(Optional.empty(), new CellLocation("[8]", 3, "int q = divide(one,"))),
                failure.trace(), "the cell's third line, not its statement's first");
        assertEquals(3, valueOf("divide(7, 2)"));
    }

    @Test
    void exceptionCausesAreReported() {
        ExecutionFailure failure = assertThrows(ExecutionFailure.class,
                () -> evaluator.eval("throw new IllegalStateException(\"outer\", new ArithmeticException(\"inner\"));"));
        assertEquals("java.lang.IllegalStateException", failure.exceptionClass());
        assertTrue(failure.trace().contains(new TraceFrame.CausedBy("java.lang.ArithmeticException", "inner")),
                failure.trace().toString());
    }

    @Test
    void unresolvedReferenceIsExplainedWhenDefinedAndWhenCalled() throws Exception {
        JavaEvaluator.CellOutcome defined = evaluator.eval("void g() { h(); }");
        assertEquals(List.of("method g cannot be used until method h() is declared"), defined.unresolved());
        ExecutionFailure failure = assertThrows(ExecutionFailure.class, () -> evaluator.eval("g()"));
        assertTrue(failure.detail().contains("method h()"), failure.detail());
        evaluator.eval("void h() { }");
        assertEquals(Optional.empty(), evaluator.eval("g();").value());
    }

    @Test
    void cellsCannotEndTheKernel() throws Exception {
        for (String exit : List.of("System.exit(3);", "Runtime.getRuntime().exit(4);", "Runtime.getRuntime().halt(5);")) {
            ExecutionFailure refused = assertThrows(ExecutionFailure.class, () -> evaluator.eval(exit));
            assertEquals("java.lang.UnsupportedOperationException", refused.exceptionClass());
            assertTrue(refused.detail().contains("would end the kernel"), refused.detail());
        }
        assertEquals(2, valueOf("1 + 1"));
    }

    @Test
    void incompleteCellIsReported() {
        assertThrows(IncompleteSource.class, () -> evaluator.eval("double f(double x) {"));
    }

    @Test
    void userCodeWritesToTheCurrentSystemOut() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            evaluator.eval("for (int i = 0; i < 3; i++) System.out.println(\"line \" + i);");
        } finally {
            System.setOut(original);
        }
        assertEquals("line 0\nline 1\nline 2\n", captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void cellsShareStaticStateWithKernelClasses() throws Exception {
        int before = SHARED.get();
        assertEquals(before + 1, valueOf("jenzyme.kernel.exec.JavaEvaluatorTest.SHARED.incrementAndGet()"));
        assertEquals(before + 1, SHARED.get());
    }

    @Test
    void valuesKeepTheirObjectsForRichDisplay() throws Exception {
        BufferedImage image = assertInstanceOf(BufferedImage.class,
                valueOf("new java.awt.image.BufferedImage(3, 2, java.awt.image.BufferedImage.TYPE_INT_RGB)"));
        assertEquals(3, image.getWidth());
        assertEquals(2, image.getHeight());
    }

    @Test
    void classpathEntriesBecomeImportable(@TempDir Path dir) throws Exception {
        Path classes = InMemoryJavac.compile("fixture.Greeter",
                "package fixture; public class Greeter { public static String hello(String n) { return \"hello \" + n; } }").writeTo(dir);
        assertThrows(CompilationFailure.class, () -> evaluator.eval("fixture.Greeter.hello(\"x\")"));
        evaluator.addToClasspath(List.of(classes));
        assertEquals("hello jenzyme", valueOf("fixture.Greeter.hello(\"jenzyme\")"));
    }
}
