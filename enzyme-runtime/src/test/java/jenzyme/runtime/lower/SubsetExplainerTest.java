package jenzyme.runtime.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.lower.SubsetExplainer.Problem;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import jenzyme.runtime.testing.MarkedLines;

/** %autodiff --explain's analysis: every refused construct of a method and its callees, with its line, at once. */
class SubsetExplainerTest {

    private static final String SOURCE = """
            package ex;
            public class Ex {
                static String k = "2";
                static double many(double[] p, int n) {
                    double s = k.length();                     // field
                    String label = "p" + n;                    // concat
                    Object box = new Object();                 // object
                    for (int i = 0; i < n; i++) s += p[i];
                    return s + helper(p) + clean(p[0]);
                }
                static double helper(double[] p) {
                    synchronized (p) { return p[0] * 2; }      // monitor
                }
                static double clean(double x) {
                    return Math.sin(x) * x;
                }
                static double crowded(double x) {
                    String s = "x" + x; Object o = new Object(); return s.length();   // crowded
                }
                static double randomOnly(double x) {
                    return x * Math.random();                  // random
                }
                static double callsInstance(double x) {
                    return new Ex().twice(x);                  // instance
                }
                double twice(double x) { return 2 * x; }
                static double listed(double[] x) {
                    java.util.List<Double> l = new java.util.ArrayList<>();
                    l.add(x[0]);                               // add
                    return l.get(0);                           // get
                }
                static double guarded(double x) {
                    if (x < 0) throw new IllegalArgumentException("x = " + x);                 // guard
                    if (x > 9) throw new IllegalStateException("x = " + Double.toString(x));  // guardString
                    return x;
                }
                static double messy(double[] x, Object o) {
                    String s = "a" + x[0];                     // messyConcat
                    synchronized (o) {                         // messyMonitor
                        return x[0] + s.length();
                    }
                }
            }
            """;

    private static final CompiledClasses CLASSES = InMemoryJavac.compile("ex.Ex", SOURCE);
    private final SubsetExplainer explainer = new SubsetExplainer(CLASSES);

    @Test
    void everyRefusedConstructOfTheMethodAndItsCalleesIsListedWithItsLine() {
        List<Problem> problems = explainer.explain("ex/Ex", "many", "([DI)D");
        assertEquals(List.of(
                new Problem("ex/Ex", "many", lineOf("field"), "reading ex.Ex.k of type String (compiled code reads "
                        + "notebook variables and static fields of type double, float, int, long and their arrays; "
                        + "pass other values as parameters)"),
                new Problem("ex/Ex", "many", lineOf("field"), "calling String.length() (compiled code can call static "
                        + "methods of the notebook and of libraries, methods of its records and objects, lambdas, "
                        + "and Math)"),
                new Problem("ex/Ex", "many", lineOf("concat"), "string concatenation (+ on a String)"),
                new Problem("ex/Ex", "many", lineOf("object"), "new Object (compiled code cannot create objects)"),
                new Problem("ex/Ex", "helper", lineOf("monitor"), "a synchronized block")), problems);
    }

    /** One line, three constructs: each listed, the constructor call of the refused new not repeated. */
    @Test
    void everyConstructOfALineIsListed() {
        List<Problem> problems = explainer.explain("ex/Ex", "crowded", "(D)D");
        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.get(0).construct().startsWith("string concatenation"), problems.toString());
        assertTrue(problems.get(1).construct().startsWith("new Object"), problems.toString());
        assertTrue(problems.get(2).construct().startsWith("calling String.length()"), problems.toString());
        assertTrue(problems.stream().allMatch(p -> p.sourceLine() == lineOf("crowded")), problems.toString());
    }

    /** Calls through a JDK collection interface are listed too (qa7 R6: List.add and List.get were missing). */
    @Test
    void interfaceCallsOnCollectionsAreListed() {
        List<Problem> problems = explainer.explain("ex/Ex", "listed", "([D)D");
        assertTrue(problems.contains(new Problem("ex/Ex", "listed", lineOf("add"), "calling java.util.List.add(Object) (compiled "
                + "code can call static methods of the notebook and of libraries, methods of its records and objects, "
                + "lambdas, and Math)")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.sourceLine() == lineOf("get")
                && p.construct().startsWith("calling java.util.List.get(int)")), problems.toString());
    }

    @Test
    void aRefusedSignatureDoesNotHideTheBody() {
        List<Problem> problems = explainer.explain("ex/Ex", "messy", "([DLjava/lang/Object;)D");
        assertTrue(problems.getFirst().construct().startsWith("unsupported parameter type Object"), problems.toString());
        assertEquals(-1, problems.getFirst().sourceLine());
        assertTrue(problems.contains(new Problem("ex/Ex", "messy", lineOf("messyConcat"),
                "string concatenation (+ on a String)")), problems.toString());
        assertTrue(problems.contains(new Problem("ex/Ex", "messy", lineOf("messyMonitor"), "a synchronized block")),
                problems.toString());
    }

    @Test
    void aMethodInsideTheSubsetHasNoProblems() {
        assertEquals(List.of(), explainer.explain("ex/Ex", "clean", "(D)D"));
    }

    @Test
    void whatOnlyTheLoweringKnowsIsNamedByTheLoweringItself() {
        assertEquals(List.of(new Problem("ex/Ex", "randomOnly", lineOf("random"),
                "calling Math.random() (no native equivalent)")), explainer.explain("ex/Ex", "randomOnly", "(D)D"));
        List<Problem> instance = explainer.explain("ex/Ex", "callsInstance", "(D)D");
        assertEquals(2, instance.size(), instance.toString());
        assertTrue(instance.getFirst().construct().startsWith("new ex.Ex"), instance.toString());
        assertTrue(instance.get(1).construct().startsWith("calling ex.Ex.twice(double)"), instance.toString());
    }

    @Test
    void aGuardsMessageJoinedFromValuesIsFineAndOneJoiningAStringIsNamed() {
        List<Problem> problems = explainer.explain("ex/Ex", "guarded", "(D)D");
        assertTrue(!problems.isEmpty() && problems.stream().allMatch(p -> p.sourceLine() == lineOf("guardString")),
                problems.toString());
        assertTrue(problems.getFirst().construct().startsWith("a thrown message joining a String that is not a"
                + " constant"), problems.toString());
    }

    /** The explanation agrees with the compiler on its whole corpus of refusals: the first refusal is listed. */
    @ParameterizedTest
    @ValueSource(strings = {"many", "helper", "randomOnly", "callsInstance", "clean", "listed", "guarded"})
    void theLoweringsOwnRefusalIsAlwaysAmongTheProblems(String method) {
        String descriptor = switch (method) {
            case "many" -> "([DI)D";
            case "helper", "listed" -> "([D)D";
            default -> "(D)D";
        };
        List<Problem> problems = explainer.explain("ex/Ex", method, descriptor);
        try {
            new BytecodeLowering(CLASSES).lower("ex/Ex", method, descriptor);
            assertEquals(List.of(), problems, "it compiles, so nothing to explain");
        } catch (LoweringException refused) {
            assertTrue(problems.stream().anyMatch(p -> p.methodName().equals(refused.methodName().orElseThrow())
                    && p.sourceLine() == refused.sourceLine()), refused.getMessage() + " not in " + problems);
        }
    }

    private static int lineOf(String marker) {
        return MarkedLines.lineOf(SOURCE, marker);
    }
}
