package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What happens to a binding when the notebook changes under it, as a notebook user meets it: a redefined class
 * retires its instance-method bindings like a redefined method does, and the retirement quotes the magic line that
 * made the binding (its {@code --name} included); a refused {@code --checkpoint} quotes the line at fault.
 */
class BindingLifecycleTest {

    private static JEnzymeKernel kernel;
    private static NotebookCells cells;

    @BeforeAll
    static void start() throws Exception {
        kernel = JEnzymeKernel.start();
        cells = new NotebookCells(kernel);
        kernel.session().define("""
                String errorOf(Runnable call) {
                    try { call.run(); return "no error"; } catch (RuntimeException e) { return e.getMessage(); }
                }
                """);
    }

    @AfterAll
    static void stop() {
        kernel.onShutdown(false);
    }

    @Test
    void redefiningTheReceiversClassRetiresTheInstanceMethodBinding() throws Exception {
        String spring = """
                final class Spring {
                    double k, rest;
                    Spring(double k, double rest) { this.k = k; this.rest = rest; }
                    double energy(double x) { double d = x - rest; return %s; }
                }
                Spring spring = new Spring(3.0, 1.0);
                """;
        kernel.runCell(spring.formatted("0.5 * k * d * d"));
        kernel.runCell("%autodiff reverse spring.energy");
        // 0.5 k (x - r)^2 at k = 3, r = 1, x = 2: value 1.5, d/dx = k (x - r) = 3
        assertArrayEquals(new double[] {1.5, 3.0}, cells.numbers("energy_grad(2.0).value(), energy_grad(2.0).dx()"));

        kernel.runCell(spring.formatted("k * d * d * d")); // QA R1: the old body ran on (1.5 and 3 against 3 and 9)
        assertEquals("class Spring was redefined since %autodiff; re-run %autodiff reverse spring.energy",
                cells.text("errorOf(() -> energy_grad(2.0))").replace("\"", ""));

        kernel.runCell("%autodiff reverse spring.energy");
        // k (x - r)^3: value 3, d/dx = 3 k (x - r)^2 = 9
        assertArrayEquals(new double[] {3.0, 9.0}, cells.numbers("energy_grad(2.0).value(), energy_grad(2.0).dx()"));
    }

    @Test
    void aRetiredBindingQuotesTheLineThatMadeItNameIncluded() throws Exception {
        kernel.runCell("double sq3(double x) { return x * x * x; }");
        kernel.runCell("%autodiff reverse sq3 --name cube");
        assertArrayEquals(new double[] {12.0}, cells.numbers("cube_grad(2.0).dx()"));
        kernel.runCell("double sq3(double x) { return x * x; }");
        assertEquals("sq3 changed since %autodiff; re-run %autodiff reverse sq3 --name cube",
                cells.text("errorOf(() -> cube_grad(2.0))").replace("\"", ""));
    }

    @Test
    void aCheckpointRefusalQuotesTheLineOfTheLocalItCannotCarry() throws Exception {
        kernel.runCell("""
                double osc(double[] p, double h, long steps) {
                    double[] y = {1, 0};
                    for (long i = 0; i < steps; i++) {
                        double v = y[1];
                        y[1] -= h * p[0] * y[0];
                        y[0] += h * v;
                    }
                    return y[0];
                }
                """);
        String refused = cells.refusal("%autodiff reverse osc --checkpoint");
        // QA R14: "... not local 5", a bytecode slot; cells are compiled with -g, so the variable is named (QA6 R1)
        assertTrue(refused.contains("not the local variable y (keep the loop's state in double or long locals)"),
                refused);
        assertTrue(refused.contains("osc(double[], double, long), line 2:\n  ----> 2     double[] y = {1, 0};"), refused);
    }

    @Test
    void creatingAnObjectOfANonFinalClassIsRefusedSayingToDeclareItFinal() throws Exception {
        kernel.runCell("""
                class Acc { double total; void add(double v) { total += v; } }
                double useAcc(double[] x) { Acc a = new Acc(); for (double v : x) a.add(v * v); return a.total; }
                """);
        String refused = cells.refusal("%autodiff reverse useAcc");
        // QA R9: "new Acc (compiled code cannot create objects)", though it does create objects of final classes
        assertTrue(refused.contains("new Acc (compiled code creates objects of records and final classes only: "
                + "declare it final class Acc)"), refused);
    }

    @Test
    void anExceptionThrownByCompiledCodeShowsNoJdkFramesOfTheBinding() throws Exception {
        kernel.runCell("""
                double safeLog(double x) { if (x <= 0) throw new IllegalArgumentException("x must be positive"); return Math.log(x); }
                String framesOf(Runnable call) {
                    try { call.run(); return "no error"; }
                    catch (RuntimeException e) { return e.getMessage() + " " + java.util.Arrays.toString(e.getStackTrace()); }
                }
                """);
        kernel.runCell("%autodiff reverse safeLog");
        String frames = cells.text("framesOf(() -> safeLog_grad(-1.0))");
        assertTrue(frames.startsWith("\"x must be positive "), frames);
        // QA R11: java.util.Optional.map sat between the cell's frames and the binding's
        assertTrue(!frames.contains("java.util.Optional"), frames);
    }
}
