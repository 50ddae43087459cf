package jenzyme.kernel;

import jenzyme.kernel.exec.JavaEvaluator;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.error.WorkerException;
import jenzyme.runtime.lower.BytecodeLowering;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The renderer on real pipeline exceptions: the user's method, cell line and source; details only with --verbose. */
class ErrorRendererTest {

    private static JavaEvaluator evaluator;
    private static ErrorRenderer renderer;

    @BeforeAll
    static void start() {
        evaluator = JavaEvaluator.start(ErrorRendererTest.class.getClassLoader());
        renderer = new ErrorRenderer(evaluator.origins());
    }

    @AfterAll
    static void stop() {
        evaluator.close();
    }

    private static MagicFailure magicFailure(Throwable cause, String... arguments) {
        return new MagicFailure("%autodiff", List.of(arguments), cause, Set.of("%autodiff"));
    }

    @Test
    void loweringErrorNamesTheMethodAsWrittenAndQuotesItsCellLine() throws Exception {
        evaluator.beginCell("[3]");
        evaluator.eval("int unrelated = 1;\ndouble withText(double x, int[] k) {\n    String s = \"abc\";\n"
                + "    return x * s.length();\n}");
        UserMethod method = evaluator.methods("withText").getFirst();
        LoweringException refused = assertThrows(LoweringException.class, () -> new BytecodeLowering(
                evaluator.classBytes()).lower(method.ownerInternalName(), method.name(), method.descriptor()));
        ErrorReport report = renderer.render(magicFailure(refused, "reverse", "withText"));
        assertEquals("LoweringException", report.name());
        assertEquals(List.of("%autodiff: cannot compile withText(double, int[]): unsupported: a String constant \"abc\"",
                "  withText(double, int[]), cell [3], line 3:",
                "  ----> 3     String s = \"abc\";"), report.traceback());
        assertEquals("cannot compile withText(double, int[]): unsupported: a String constant \"abc\""
                + " (withText(double, int[]), cell [3], line 3)", report.value());
    }

    @Test
    void refusalInsideAMethodOfACellClassNamesClassMethodAndParameters() throws Exception {
        evaluator.beginCell("[4]");
        evaluator.eval("final class Acc { double total; void add(double v) { total += v; System.out.println(v); } }");
        evaluator.beginCell("[5]");
        evaluator.eval("double acc(double[] x) { Acc a = new Acc(); for (double v : x) a.add(v); return a.total; }");
        UserMethod method = evaluator.methods("acc").getFirst();
        LoweringException refused = assertThrows(LoweringException.class, () -> new BytecodeLowering(
                evaluator.classBytes()).lower(method.ownerInternalName(), method.name(), method.descriptor()));
        ErrorReport report = renderer.render(magicFailure(refused, "reverse", "acc"));
        assertEquals("%autodiff: cannot compile Acc.add(double): unsupported: reading System.out of type"
                + " java.io.PrintStream (compiled code reads notebook variables and static fields of type double, float,"
                + " int, long and their arrays; pass other values as parameters)", report.traceback().getFirst());
    }

    @Test
    void aRefusedParameterOrReturnTypeQuotesTheMethodsDeclarationLine() throws Exception {
        evaluator.beginCell("[6]");
        evaluator.eval("int before = 2;\n\n  double lst(java.util.List<Double> xs) {\n    return xs.size();\n}");
        UserMethod lst = evaluator.methods("lst").getFirst();
        LoweringException refused = assertThrows(LoweringException.class, () -> new BytecodeLowering(
                evaluator.classBytes()).lower(lst.ownerInternalName(), lst.name(), lst.descriptor()));
        List<String> traceback = renderer.render(magicFailure(refused, "reverse", "lst")).traceback();
        assertEquals(List.of("  lst(java.util.List<Double>), cell [6], line 3:",
                "  ----> 3   double lst(java.util.List<Double> xs) {"), traceback.subList(1, 3), traceback.toString());
        evaluator.beginCell("[7]");
        evaluator.eval("double twice(double x) { return x; }\ndouble[][] outer(double[] x) {\n"
                + "    return new double[][] {x, x};\n}");
        UserMethod outer = evaluator.methods("outer").getFirst();
        refused = assertThrows(LoweringException.class, () -> new BytecodeLowering(
                evaluator.classBytes()).lower(outer.ownerInternalName(), outer.name(), outer.descriptor()));
        traceback = renderer.render(magicFailure(refused, "jacobian", "outer")).traceback();
        assertTrue(traceback.contains("  ----> 2 double[][] outer(double[] x) {"), traceback.toString());
    }

    @Test
    void workerStderrAndEnzymeMessagesAppearOnlyWithVerbose() {
        WorkerException crashed = new WorkerException(WorkerException.Reason.CRASHED, "the worker was killed by signal 6",
                "LLVM ERROR: something deep\nStack dump: ...");
        List<String> plain = renderer.render(magicFailure(crashed, "reverse", "f")).traceback();
        assertEquals(List.of("%autodiff: the Enzyme worker failed: the worker was killed by signal 6",
                "(add --verbose to the magic line to see the worker stderr)"), plain);
        List<String> verbose = renderer.render(magicFailure(crashed, "reverse", "f", "--verbose")).traceback();
        assertEquals(List.of("%autodiff: the Enzyme worker failed: the worker was killed by signal 6",
                "--- worker stderr ---", "LLVM ERROR: something deep", "Stack dump: ..."), verbose);

        DifferentiationException enzyme = new DifferentiationException("jz_f_0123456789abcdef", "enzyme",
                "cannot handle call\n  %3 = call double @foo(double %x)");
        ErrorReport report = renderer.render(magicFailure(enzyme, "reverse", "f"));
        assertEquals("%autodiff: Enzyme cannot differentiate this method (enzyme): cannot handle call",
                report.traceback().getFirst());
        assertFalse(String.join("\n", report.traceback()).contains("jz_"), report.traceback().toString());
        assertTrue(renderer.render(magicFailure(enzyme, "--verbose")).traceback()
                .contains("  %3 = call double @foo(double %x)"));
    }

    @Test
    void magicsOwnFailuresShowTheirMessageAndBugsTheirTraceOnlyWithVerbose() {
        RuntimeException failedCheck = assertThrows(RuntimeException.class, () -> jenzyme.magics.gradcheck.GradCheck
                .of(x -> x[0], x -> { throw new ArithmeticException("no gradient"); }).at(new double[] {1}).run());
        ErrorReport ours = renderer.render(magicFailure(failedCheck));
        assertEquals("GradCheckException", ours.name());
        assertEquals(List.of("%autodiff: " + failedCheck.getMessage()), ours.traceback());
        NullPointerException bug = new NullPointerException("oops");
        ErrorReport plain = renderer.render(magicFailure(bug));
        assertEquals(List.of("%autodiff: internal error, please report it: java.lang.NullPointerException: oops",
                "(add --verbose to the magic line to see the stack trace)"), plain.traceback());
        assertTrue(renderer.render(magicFailure(bug, "--verbose")).traceback().stream()
                .anyMatch(line -> line.contains("at jenzyme.kernel.ErrorRendererTest")), "the trace, on request");
    }

    @Test
    void compiledSymbolsInMessagesAreShownAsTheMethodAsWritten() throws Exception {
        evaluator.eval("double spinFor(double x, int n) { for (int i = 0; i < n; i++) x = x * 0.5; return x; }");
        UserMethod method = evaluator.methods("spinFor").getFirst();
        String symbol = new BytecodeLowering(evaluator.classBytes())
                .lower(method.ownerInternalName(), method.name(), method.descriptor()).entry().symbol();
        WorkerException timedOut = new WorkerException(WorkerException.Reason.TIMED_OUT,
                "the worker took longer than 4000 ms on " + symbol + "__enzyme_reverse", "");
        assertEquals("%autodiff: the Enzyme worker failed: the worker took longer than 4000 ms on spinFor(double, int)",
                renderer.render(magicFailure(timedOut)).traceback().getFirst());
    }

    @Test
    void everyCatalogueTemplateUsesItsPlaceholdersInOrderAndFormatFillsThem() {
        Pattern placeholder = Pattern.compile("\\{(\\d+)}");
        for (Messages message : Messages.values()) {
            Matcher m = placeholder.matcher(message.template());
            int highest = -1;
            Set<Integer> seen = new java.util.TreeSet<>();
            while (m.find()) {
                seen.add(Integer.parseInt(m.group(1)));
                highest = Math.max(highest, Integer.parseInt(m.group(1)));
            }
            assertEquals(highest + 1, seen.size(), message + " skips a placeholder: " + message.template());
        }
        assertEquals("g (called by f) changed since %autodiff; re-run %autodiff reverse f",
                Messages.STALE_CALLEE.format("g", "f", "%autodiff", "%autodiff reverse f"));
        assertEquals("cell [5], line 10", Messages.CELL_LINE.format("[5]", 10), "numbers are not grouped");
    }
}
