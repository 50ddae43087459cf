package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The shapes of our lowering for which Enzyme reported "mixed activity" in its IR's words: a variable holding a Const
 * array and an active one ({@code u = u0} with u0 Const, a {@code ?:} or a callee choosing between a Const and an
 * active parameter, a notebook variable's array and a parameter) is refused in the user's words at the line, naming
 * the variable, and the way on it names works (checked against central differences); a row of a matrix made in a loop
 * put into a record or carried across a jump beyond the loop is refused by the lowering (it would be freed memory).
 */
class MixedActivityTest {

    private static final String SOURCE = """
            package mix;
            public class Mx {
                static final double[] DATA = {1, 2, 3};
                static double[] step(double[] u, double[] p) {
                    double[] n = new double[u.length];
                    for (int i = 0; i < u.length; i++) n[i] = u[i] + p[0] * u[i] * u[i];
                    return n;
                }
                public static double alias(double[] u0, double[] p, int steps) {
                    double[] u = u0;
                    for (int s = 0; s < steps; s++) u = step(u, p);      // alias
                    return u[0] + u[1];
                }
                public static double cloned(double[] u0, double[] p, int steps) {
                    double[] u = u0.clone();
                    for (int s = 0; s < steps; s++) u = step(u, p);
                    return u[0] + u[1];
                }
                static double[] either(double[] a, double[] b, boolean first) { return first ? a : b; }
                public static double pick(double[] a, double[] b, double w) {
                    double[] c = either(a, b, w > 0.5);                 // pick
                    return c[0] * w + b[1];
                }
                public static double tern(double[] a, double[] b, double w) {
                    double[] c = w > 0.5 ? a : b;                        // tern
                    return c[0] * w + b[1];
                }
                public static double stat(double[] x, double w) {
                    double[] c = w > 0.5 ? DATA : x;                     // stat
                    return c[0] * w + x[1];
                }
                static double inner(double[] a, double[] b, double w) {
                    double[] c = w > 0.5 ? a : b;                        // inner
                    return c[0] * w + b[1];
                }
                public static double outer(double[] a, double[] b, double w) { return inner(a, b, w); }
                static double middle(double[] p, double[] q, double w) { return inner(p, q, w) + p[0]; }
                public static double deep(double[] d, double[] e, double w) { return middle(d, e, w); }
                public static double passStat(double[] x, double w) { return inner(DATA, x, w); }
                public static double nested(double[] y0, double h, int steps, int iters) {
                    double[] y = {y0[0], y0[1]};
                    for (int i = 0; i < steps; i++) {
                        for (int k = 0; k < iters; k++) {
                            double[][] J = {{1 + h * y[0] * y[0], h}, {h, 1 + y[1]}};
                            y[0] = y[0] - J[0][1] * y[1] / J[0][0];
                        }
                    }
                    return y[0] + y[1];
                }
                public static double nestedFilled(double[] y0, double h, int steps, int iters) {
                    double[] y = {y0[0], y0[1]};
                    double[][] J = new double[2][2];
                    for (int i = 0; i < steps; i++) {
                        for (int k = 0; k < iters; k++) {
                            J[0][0] = 1 + h * y[0] * y[0]; J[0][1] = h; J[1][0] = h; J[1][1] = 1 + y[1];
                            y[0] = y[0] - J[0][1] * y[1] / J[0][0];
                        }
                    }
                    return y[0] + y[1];
                }
                record Holder(double[] r) {}
                public static double rowRecord(double[] x, int n) {
                    Holder h = new Holder(x);
                    for (int i = 0; i < n; i++) {
                        double[][] m = new double[2][x.length];
                        for (int j = 0; j < x.length; j++) { m[0][j] = x[j] * i; m[1][j] = Math.sin(x[j] + i); }
                        if (i == 0) h = new Holder(m[1]);                // rowRecord
                    }
                    double s = 0; for (double v : h.r()) s += v * v; return s;
                }
                public static double rowJump(double[] x, int n) {
                    double[] keep = new double[x.length];
                    for (int i = 0; i < n; i++) {
                        double[][] m = new double[2][x.length];
                        for (int j = 0; j < x.length; j++) { m[0][j] = x[j] * i; m[1][j] = Math.sin(x[j] + i); }
                        keep = i == 0 ? m[1] : m[0];                     // rowJump
                    }
                    double s = 0; for (double v : keep) s += v * v; return s;
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("mix.Mx", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "mix/Mx", name, descriptor);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aVariableHoldingAConstArrayAndAnActiveOneIsRefusedAtItsLine(Mode mode) {
        assertRefused(mode, "alias", "([D[DI)D", Map.of("u0", Activity.CONST), "u holds u0", "alias",
                "give u an array of its own where it takes u0 (u0.clone()), or leave u0 active");
        assertRefused(mode, "pick", "([D[DD)D", Map.of("a", Activity.CONST), "c holds a", "pick", "(a.clone())");
        assertRefused(mode, "tern", "([D[DD)D", Map.of("a", Activity.CONST), "c holds a", "tern", "(a.clone())");
        assertRefused(mode, "stat", "([DD)D", Map.of(), "c holds DATA", "stat", "(DATA.clone())");
    }

    private static void assertRefused(Mode mode, String name, String descriptor, Map<String, Activity> activities,
                                      String words, String marker, String way) {
        LoweringException refused = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                method(name, descriptor), mode, activities, DifferentiationOptions.DEFAULT).close());
        assertTrue(refused.getMessage().startsWith(words + ", an array that is constant here, and at this line "
                + "another array: Enzyme cannot differentiate a variable holding a constant array on one path and an "
                + "active one on another (mixed activity)"), refused.getMessage());
        assertTrue(refused.getMessage().contains(way), refused.getMessage());
        assertEquals(lineOf(marker), refused.sourceLine(), refused.getMessage());
    }

    /**
     * In a callee given a Const array, through one call or two, and a static field passed to a callee: refused at the
     * callee's line, naming its variable, the callee as written and where the constant array came from.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aCalleesVariableHoldingAConstArrayAndAnActiveOneIsRefusedAtItsLine(Mode mode) {
        String mixed = ", an array that is constant here (a gets the Const parameter a of mix.Mx.outer(double[], "
                + "double[], double)), and at this line another array: Enzyme cannot differentiate a variable holding a constant "
                + "array on one path and an active one on another (mixed activity); give c an array of its own where "
                + "it takes a (a.clone()), or leave a active";
        LoweringException once = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                method("outer", "([D[DD)D"), mode, Map.of("a", Activity.CONST), DifferentiationOptions.DEFAULT).close());
        String inInner = " in mix.Mx.inner(double[], double[], double) at line " + lineOf("inner");
        assertEquals("c holds a" + mixed + inInner, once.getMessage());
        assertEquals(lineOf("inner"), once.sourceLine());
        LoweringException twice = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                method("deep", "([D[DD)D"), mode, Map.of("d", Activity.CONST), DifferentiationOptions.DEFAULT).close());
        assertEquals("c holds a, an array that is constant here (a gets the Const parameter d of mix.Mx.deep("
                + "double[], double[], double)), and at this line another array: Enzyme cannot differentiate a variable holding "
                + "a constant array on one path and an active one on another (mixed activity); give c an array of its "
                + "own where it takes a (a.clone()), or leave d active" + inInner, twice.getMessage());
        LoweringException field = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                method("passStat", "([DD)D"), mode, Map.of(), DifferentiationOptions.DEFAULT).close());
        assertTrue(field.getMessage().startsWith("c holds a, an array that is constant here (a gets the notebook "
                + "variable or constant DATA), and at this line another array"), field.getMessage());
        assertTrue(field.getMessage().endsWith("(a.clone())" + inInner), field.getMessage());
    }

    /** The same callee given active arrays only differentiates, against central differences in both. */
    @Test
    void theCalleeGivenActiveArraysDifferentiates() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("mix.Mx", "outer");
        try (Derivative reverse = pipeline.differentiate(method("outer", "([D[DD)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            Random random = new Random(5);
            for (int trial = 0; trial < 6; trial++) {
                double[] a = random.doubles(2, -1, 1).toArray(), b = random.doubles(2, -1, 1).toArray();
                double w = random.nextDouble();
                double[] da = new double[2], db = new double[2], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(a.clone(), da, b.clone(), db, w, out);
                assertEquals((double) jvm.invoke(a.clone(), b.clone(), w), out[0], 1e-15, "value");
                double[] fdA = CentralDifferences.gradient(x -> (double) jvm.invoke(x, b, w), a);
                double[] fdB = CentralDifferences.gradient(x -> (double) jvm.invoke(a, x, w), b);
                for (int k = 0; k < 2; k++) {
                    assertEquals(fdA[k], da[k], 1e-6, "d/da" + k);
                    assertEquals(fdB[k], db[k], 1e-6, "d/db" + k);
                }
            }
        }
    }

    /** What the pipeline cannot see before Enzyme (no such shape is known to reach it now) is still told in words. */
    @Test
    void enzymesOwnRefusalIsToldInWords() {
        var raw = new jenzyme.runtime.error.DifferentiationException("jz_outer", "enzyme", "Enzyme (mixed activity): Mismatched activity "
                + "for:   %b.a.i = select i1 %9, ptr %b, ptr %a const val: ptr %a");
        var entry = pipeline.lower(method("outer", "([D[DD)D")).entry();
        assertEquals("cannot differentiate outer(double[], double[], double): a variable (in it or a method it calls) "
                + "holds a, which is constant here, on one path and another array on another, which Enzyme cannot "
                + "differentiate (mixed activity); give it an array of its own where it takes a (a.clone()), or leave "
                + "a active", jenzyme.runtime.lower.SharedArray.inWords(raw, entry).getMessage());
    }

    /**
     * A matrix made in a loop inside a loop (Newton iterations in a time step), forward mode: once refused as "mixed
     * activity" on our exit paths' cell of its row-length table (now allocated inactive, IrModule#freeRowLengths), it
     * differentiates like the matrix made once and filled, against central differences.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"nested", "nestedFilled"})
    void aMatrixMadeInANestedLoopDifferentiatesInForwardMode(String name) throws Throwable {
        MethodHandle jvm = classes.jvmHandle("mix.Mx", name);
        try (Derivative forward = pipeline.differentiate(method(name, "([DDII)D"), Mode.FORWARD, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            Random random = new Random(9);
            for (int trial = 0; trial < 5; trial++) {
                double[] y0 = random.doubles(2, 0.2, 1).toArray();
                double h = 0.1 * random.nextDouble();
                int steps = 1 + random.nextInt(4);
                double[] fd = CentralDifferences.gradient(y -> (double) jvm.invoke(y, h, steps, 3), y0);
                double[] tangent = new double[forward.convention().slots().size()];
                for (int k = 0; k < 2; k++) {
                    double[] direction = new double[2];
                    direction[k] = 1;
                    forward.handle().invoke(y0.clone(), direction, h, 0.0, steps, 3, tangent);
                    assertEquals(fd[k], tangent[forward.convention().returnTangentSlot()], 1e-6 * (1 + Math.abs(fd[k])),
                            "d/dy0" + k);
                }
            }
        }
    }

    /** The way on: u0.clone() differentiates, u0 Const, against central differences in p. */
    @Test
    void theCloneTheRefusalNamesDifferentiates() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("mix.Mx", "cloned");
        try (Derivative reverse = pipeline.differentiate(method("cloned", "([D[DI)D"), Mode.REVERSE,
                Map.of("u0", Activity.CONST), DifferentiationOptions.DEFAULT)) {
            Random random = new Random(2);
            for (int trial = 0; trial < 5; trial++) {
                double[] u0 = random.doubles(2, 0, 0.5).toArray(), p = {0.1 + 0.2 * random.nextDouble()};
                int steps = 1 + random.nextInt(5);
                double[] dp = new double[1], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(u0.clone(), p.clone(), dp, steps, out);
                assertEquals((double) jvm.invoke(u0.clone(), p.clone(), steps), out[0], 1e-15, "value");
                double fd = CentralDifferences.gradient(x -> (double) jvm.invoke(u0.clone(), x, steps), p)[0];
                assertEquals(fd, dp[0], 1e-6 * (1 + Math.abs(fd)), "d/dp");
            }
        }
    }

    /** qa7 R0c's "Not covered": a row of a loop matrix put into a record, or chosen by a ?: and kept beyond the loop. */
    @Test
    void aRowOfALoopMatrixKeptBeyondItsIterationIsRefused() {
        LoweringException record = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("rowRecord", "([DI)D")).close());
        assertTrue(record.getMessage().startsWith("unsupported: keeping an array allocated inside a loop beyond its "
                + "iteration: it becomes part of a record or object"), record.getMessage());
        assertEquals(lineOf("rowRecord"), record.sourceLine());
        LoweringException jump = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                method("rowJump", "([DI)D"), Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT).close());
        assertTrue(jump.getMessage().startsWith("unsupported: keeping an array allocated inside a loop beyond its "
                + "iteration: it is assigned to keep, declared outside the loop"), jump.getMessage());
        assertEquals(lineOf("rowJump"), jump.sourceLine());
    }

    private static int lineOf(String marker) {
        var lines = SOURCE.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).endsWith("// " + marker)) {
                return i + 1;
            }
        }
        throw new AssertionError("no line marked " + marker);
    }
}
