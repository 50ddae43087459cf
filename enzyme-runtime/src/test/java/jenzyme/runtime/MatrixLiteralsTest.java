package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Random;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Matrix literals ({@code new double[][]{{c, -s}, {s, c}}}, float/int/long, jagged), in callees returning them and
 * as locals, and matrices assigned in a loop to a variable declared before it: native primal against the JVM,
 * reverse and forward gradients against central differences; literals that would share an existing row, or hold a
 * branch, refused in words.
 */
class MatrixLiteralsTest {

    private static final String SOURCE = """
            package lit;
            public class Lit {
                static double[][] rot(double th) {
                    return new double[][] {{Math.cos(th), -Math.sin(th)}, {Math.sin(th), Math.cos(th)}};
                }
                static double[][] jac2(double[] y) { return new double[][] {{y[0], y[1]}, {y[1], -y[0]}}; }
                static float[][] halves(float a) { return new float[][] {{a, 2 * a}, {a * a}}; }
                static int[][] counts(int n) { return new int[][] {{n, n + 1}, {2 * n}}; }
                static long[][] squares(long n) { return new long[][] {{n * n}}; }
                public static double spin(double[] p, double t1, int steps) {
                    double[] v = {p[3], p[4]};
                    for (int i = 0; i < steps; i++) {
                        double[][] r = rot(p[0] * t1 / steps);
                        double[] w = new double[2];
                        for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) w[a] += r[a][b] * v[b];
                        v = w;
                    }
                    double[][] m = {{v[0], p[1]}, {p[2] * v[1], 1}};
                    return m[0][0] * m[1][1] - m[0][1] * m[1][0] + jac2(v)[1][1];
                }
                public static double mixed(double[] x, int n) {
                    float[][] f = halves((float) x[0]);
                    int[][] c = counts(n);
                    long[][] l = squares(n);
                    return f[1][0] + f[0].length + f[1].length + c[0][1] + c[1][0] + l[0][0] + x[1];
                }
                static double[][] mm2(double[][] a, double[][] b) {
                    double[][] c = new double[2][2];
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++)
                            for (int k = 0; k < 2; k++) c[i][j] += a[i][k] * b[k][j];
                    return c;
                }
                public static double linearised(double[] p, double t1, int steps) {
                    double[] y = {p[3], p[4]};
                    double[][] J = new double[2][2];
                    double trace = 0;
                    for (int i = 0; i < steps; i++) {
                        J = jac2(y);
                        double h = t1 / steps;
                        double[] w = {y[0] + h * (J[0][0] * p[0] + J[0][1] * p[1]), y[1] + h * (J[1][0] * p[2] + J[1][1])};
                        y = w;
                        trace += J[0][0] + J[1][1];
                    }
                    return trace + J[0][1] * y[0];
                }
                public static double rotated(double[] p, double t1, int steps) {
                    double[][] m = {{1, 0}, {0, 1}};
                    for (int i = 0; i < steps; i++) m = mm2(rot(p[0] * t1 / steps), m);
                    return m[0][0] * p[3] + m[1][0] * p[4] + m[0][1] * p[1];
                }
                public static double reshaped(int n) {
                    double[][] J = new double[2][2];
                    for (int i = 0; i < n; i++) J = new double[2][i + 1];
                    return J[0].length;
                }
                public static double startsShared(double[][] J0, int n) {
                    double[][] J = J0;
                    for (int i = 0; i < n; i++) J = jac2(J[0]);
                    return J[1][1];
                }
                public static double shared(double[] y) { double[][] m = {y, y}; return m[0][0]; }
                public static double branchy(double[] y) { double[][] m = {{y[0] > 0 ? y[0] : -y[0], 1}}; return m[0][0]; }
                public static double rowsLater(int n) { double[][] t = new double[n][]; return t.length; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("lit.Lit", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "lit/Lit", name, descriptor);
    }

    @Test
    void aRotationLiteralInALoopGivesTheJvmsValueAndGradients() throws Throwable {
        OdeLossAgreement.check(pipeline, classes, "lit.Lit", "spin", 25);
    }

    /**
     * {@code J = jac2(y)} and {@code m = mm2(rot(t), m)} in a loop, of a matrix declared before it: carried by value,
     * row by row, like a one-dimensional array (qa7 R3).
     */
    @Test
    void aMatrixAssignedInALoopIsCarriedRowByRow() throws Throwable {
        OdeLossAgreement.check(pipeline, classes, "lit.Lit", "linearised", 25);
        OdeLossAgreement.check(pipeline, classes, "lit.Lit", "rotated", 25);
    }

    /** A matrix of another shape raises IllegalStateException (the JVM would take it); one shared at the start is refused. */
    @Test
    void aCarriedMatrixKeepsItsShapeAndMustBeItsOwn() throws Throwable {
        try (NativeMethod reshaped = pipeline.jit(method("reshaped", "(I)D"))) {
            assertEquals(2.0, (double) reshaped.handle().invokeExact(0), 0);
            IllegalStateException changed = assertThrows(IllegalStateException.class, () -> {
                double ignored = (double) reshaped.handle().invokeExact(1);
            });
            assertTrue(changed.getMessage().contains("an array of length 1 was assigned in a loop to a variable "
                    + "holding 2 elements"), changed.getMessage());
        }
        LoweringException e = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("startsShared", "([[DI)D")));
        assertTrue(e.getMessage().contains("J is assigned matrices made in a loop, which compiled code copies row by "
                + "row into the matrix J holds; but when the loop starts J may share"), e.getMessage());
    }

    @Test
    void floatIntAndLongLiteralsWithRowsOfDifferentLengths() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("lit.Lit", "mixed");
        Random random = new Random(5);
        try (NativeMethod mixed = pipeline.jit(method("mixed", "([DI)D"))) {
            for (int trial = 0; trial < 20; trial++) {
                double[] x = {random.nextGaussian(), random.nextGaussian()};
                int n = random.nextInt(1000) - 500;
                assertEquals((double) jvm.invoke(x, n), (double) mixed.handle().invoke(x, n), 0, "x=" + x[0] + " n=" + n);
            }
        }
    }

    @Test
    void literalsThatWouldShareARowOrHoldABranchAreRefusedInWords() {
        assertRefused("shared", "a row of a double[][] literal that is an existing array");
        assertRefused("branchy", "a double[][] literal with a ?: (or another branch) among its elements");
        assertRefused("rowsLater", "new double[][] (an array of objects or of rows; create a two-dimensional array "
                + "with both sizes, new double[n][m], or write its rows out: new double[][]{{a, b}, {c, d}})");
    }

    private static void assertRefused(String name, String text) {
        String descriptor = name.equals("rowsLater") ? "(I)D" : "([D)D";
        LoweringException e = assertThrows(LoweringException.class, () -> pipeline.jit(method(name, descriptor)));
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }
}
