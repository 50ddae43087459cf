package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What happens to a binding when the notebook changes under it, as a notebook user meets it: a redefined class
 * retires its instance-method bindings like a redefined method does, and the retirement quotes the magic line that
 * made the binding (its {@code --name} included); a refused {@code --checkpoint} quotes the line at fault. An
 * instance method's binding meets its variable reset to null by JShell or by the user (qa6 R2), and another object's
 * method of the same name (qa6 R7).
 */
class BindingLifecycleTest {

    /** {@code k x^p}: redefined with another power, the class's variables are reset to null by JShell. */
    private static final String SPRING = """
            final class Sp { final double k; Sp(double k) { this.k = k; } double e(double x) { return k * %s; } }
            """;

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells("""
            String errorOf(Runnable call) {
                try { call.run(); return "no error"; } catch (RuntimeException e) { return e.getMessage(); }
            }
            """);

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
        cells.run(spring.formatted("0.5 * k * d * d"));
        cells.run("%autodiff reverse spring.energy");
        // 0.5 k (x - r)^2 at k = 3, r = 1, x = 2: value 1.5, d/dx = k (x - r) = 3
        assertArrayEquals(new double[] {1.5, 3.0}, cells.numbers("energy_grad(2.0).value(), energy_grad(2.0).dx()"));

        cells.run(spring.formatted("k * d * d * d")); // QA R1: the old body ran on (1.5 and 3 against 3 and 9)
        assertEquals("class Spring was redefined since %autodiff; re-run %autodiff reverse spring.energy",
                cells.text("errorOf(() -> energy_grad(2.0))").replace("\"", ""));

        cells.run("%autodiff reverse spring.energy");
        // k (x - r)^3: value 3, d/dx = 3 k (x - r)^2 = 9
        assertArrayEquals(new double[] {3.0, 9.0}, cells.numbers("energy_grad(2.0).value(), energy_grad(2.0).dx()"));
    }

    @Test
    void aRetiredBindingQuotesTheLineThatMadeItNameIncluded() throws Exception {
        cells.run("double sq3(double x) { return x * x * x; }");
        cells.run("%autodiff reverse sq3 --name cube");
        assertArrayEquals(new double[] {12.0}, cells.numbers("cube_grad(2.0).dx()"));
        cells.run("double sq3(double x) { return x * x; }");
        assertEquals("sq3 changed since %autodiff; re-run %autodiff reverse sq3 --name cube",
                cells.text("errorOf(() -> cube_grad(2.0))").replace("\"", ""));
    }

    @Test
    void aCheckpointRefusalQuotesTheLineOfTheLocalItCannotCarry() throws Exception {
        cells.run("""
                double osc(double[] p, double h, long steps) {
                    int[] hits = {0};
                    double y = 1;
                    for (long i = 0; i < steps; i++) {
                        y -= h * p[0] * y;
                        hits[0]++;
                    }
                    return y;
                }
                """);
        String refused = cells.refusal("%autodiff reverse osc --checkpoint");
        // QA R14: "... not local 5", a bytecode slot; cells are compiled with -g, so the variable is named (QA6 R1)
        assertTrue(refused.contains("numbers, double[] locals and array parameters that are never reassigned, not the "
                + "local variable hits"), refused);
        assertTrue(refused.contains("osc(double[], double, long), line 2:\n  ----> 2     int[] hits = {0};"), refused);
    }

    @Test
    void creatingAnObjectOfANonFinalClassIsRefusedSayingToDeclareItFinal() throws Exception {
        cells.run("""
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
        cells.run("""
                double safeLog(double x) { if (x <= 0) throw new IllegalArgumentException("x must be positive"); return Math.log(x); }
                String framesOf(Runnable call) {
                    try { call.run(); return "no error"; }
                    catch (RuntimeException e) { return e.getMessage() + " " + java.util.Arrays.toString(e.getStackTrace()); }
                }
                """);
        cells.run("%autodiff reverse safeLog");
        String frames = cells.text("framesOf(() -> safeLog_grad(-1.0))");
        assertTrue(frames.startsWith("\"x must be positive "), frames);
        // QA R11: java.util.Optional.map sat between the cell's frames and the binding's
        assertTrue(!frames.contains("java.util.Optional"), frames);
    }

    @Test
    void aReceiverResetByAClassRedefinitionGivesTheRetirementNotJShellsNullPointer() throws Exception {
        cells.run(SPRING.formatted("x * x") + "Sp sp3 = new Sp(2);");
        cells.run("%autodiff reverse sp3.e --name spe");
        cells.run("%autodiff forward sp3.e --name spe");
        cells.run("%jit sp3.e --name spe");
        cells.run("%autodiff forward sp3.e --width 2 --name spw");
        cells.run("%autodiff hvp sp3.e --name sph");
        // 2 x^2 at 1.5: value 4.5, d/dx = 4 x = 6 (x2 for the second lane's tangent 2); H v with v = dx: d2/dx2 = 2 k
        assertArrayEquals(new double[] {4.5, 6.0, 6.0, 4.5, 12.0, 4.0},
                cells.numbers("spe_grad(1.5).value(), spe_grad(1.5).dx(), spe_fwd(new Sp(0), 1.5, 1).dvalue(), "
                        + "spe_native(1.5), spw_fwd(new Sp[] {new Sp(0), new Sp(0)}, 1.5, new double[] {1, 2}).dvalue()[1], "
                        + "sph_hvp(new Sp(0), 1.5, 1).hvx()"));

        cells.run(SPRING.formatted("x * x * x")); // sp3 is now null: JShell reset it with its class
        for (String call : new String[] {"spe_grad(1.5)", "spe_grad_into(1.5, new double[2])", "spe_fwd(new Sp(0), 1.5, 1)"}) {
            assertEquals("class Sp was redefined since %autodiff; re-run %autodiff "
                    + (call.contains("fwd") ? "forward" : "reverse") + " sp3.e --name spe",
                    cells.text("errorOf(() -> " + call + ")").replace("\"", ""), call);
        }
        assertEquals("class Sp was redefined since %jit; re-run %jit sp3.e --name spe",
                cells.text("errorOf(() -> spe_native(1.5))").replace("\"", ""));
        for (String call : new String[] {"spw_fwd(new Sp[] {new Sp(0), new Sp(0)}, 1.5, new double[] {1, 2})",
                "sph_hvp(new Sp(0), 1.5, 1)"}) {
            String error = cells.text("errorOf(() -> " + call + ")").replace("\"", "");
            assertTrue(error.startsWith("class Sp was redefined since %autodiff; re-run %autodiff "), error);
        }

        cells.run("sp3 = new Sp(2);");
        cells.run("%autodiff reverse sp3.e --name spe");
        // 2 x^3 at 1.5: value 6.75, d/dx = 6 x^2 = 13.5
        assertArrayEquals(new double[] {6.75, 13.5}, cells.numbers("spe_grad(1.5).value(), spe_grad(1.5).dx()"));
    }

    @Test
    void aReceiverTheUserSetToNullIsNamedInTheirWords() throws Exception {
        cells.run("final class Quad { final double a; Quad(double a) { this.a = a; } "
                + "double q(double x) { return a * x * x; } }\nQuad quad = new Quad(3);");
        cells.run("%autodiff reverse quad.q");
        assertArrayEquals(new double[] {12.0}, cells.numbers("q_grad(2.0).dx()"));
        cells.run("quad = null;");
        assertEquals("quad is null: this binding calls quad.q on the object quad holds at each "
                + "call; assign it an object first", cells.text("errorOf(() -> q_grad(2.0))").replace("\"", ""));
        cells.run("quad = new Quad(0.5);");
        assertArrayEquals(new double[] {2.0}, cells.numbers("q_grad(2.0).dx()"));
    }

    @Test
    void aSecondObjectsMethodOfTheSameNameDoesNotSilentlyTakeTheFirstsBinding() throws Exception {
        cells.run("final class Well { final double c; Well(double c) { this.c = c; } "
                + "double depth(double x) { return c * x * x; } }\nWell w1 = new Well(1); Well w2 = new Well(5);");
        String bound = cells.text("%autodiff reverse w1.depth");
        assertTrue(bound.contains("Reverse-mode derivative of w1.depth bound"), bound);

        String refused = cells.refusal("%autodiff reverse w2.depth");
        assertTrue(refused.contains("depth_grad is the binding of w1.depth; w2.depth would take it over: give w2.depth "
                + "bindings of its own with --name w2_depth, or take depth_grad over on purpose with --name depth"),
                refused);
        cells.run("double depth(double x) { return -x; }");
        assertTrue(cells.refusal("%autodiff reverse depth").contains("depth_grad is the binding of w1.depth; depth "
                + "would take it over"));
        // d/dx c x^2 = 2 c x at x = 3: w1 gives 6 and kept it through both refusals, w2 gives 30
        assertArrayEquals(new double[] {6.0}, cells.numbers("depth_grad(3.0).dx()"));

        cells.run("%autodiff reverse w2.depth --name w2_depth");
        assertArrayEquals(new double[] {6.0, 30.0}, cells.numbers("depth_grad(3.0).dx(), w2_depth_grad(3.0).dx()"));
        cells.run("%autodiff reverse w2.depth --name depth"); // on purpose
        assertArrayEquals(new double[] {30.0}, cells.numbers("depth_grad(3.0).dx()"));
    }
}
