package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.NativeMemoryProbe;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Callees returning {@code double[][]} (and {@code int[][]}), handed to their caller like one-dimensional results
 * ({@code ArrayHandOver}): made in the callee, a returned parameter (the caller's own), jagged rows, calls inside a
 * loop. The native primal against the JVM on random inputs, reverse and forward derivatives against central
 * differences, memory flat over many calls, and the entry returning one refused in words.
 */
class MatrixResultsTest {

    private static final String SOURCE = """
            package mres;
            public class Mats {
                static double[][] outer(double[] a, double[] b) {
                    double[][] m = new double[a.length][b.length];
                    for (int i = 0; i < a.length; i++)
                        for (int j = 0; j < b.length; j++) m[i][j] = a[i] * b[j];
                    return m;
                }
                static double[][] rotation(double theta) {
                    double[][] r = new double[2][2];
                    r[0][0] = Math.cos(theta);
                    r[0][1] = -Math.sin(theta);
                    r[1][0] = Math.sin(theta);
                    r[1][1] = Math.cos(theta);
                    return r;
                }
                static double[][] times(double[][] a, double[][] b) {
                    double[][] c = new double[a.length][b[0].length];
                    for (int i = 0; i < a.length; i++)
                        for (int j = 0; j < b[0].length; j++)
                            for (int k = 0; k < b.length; k++) c[i][j] += a[i][k] * b[k][j];
                    return c;
                }
                static double[][] same(double[][] m) {
                    return m;
                }
                static int[][] counts(double[] x) {
                    int[][] c = new int[2][x.length];
                    for (int i = 0; i < x.length; i++) c[x[i] > 0 ? 0 : 1][i] = 1;
                    return c;
                }
                /** A point rotated step by step (a rotation matrix per step), then a quadratic form of matrices. */
                public static double loss(double[] p, double t, int steps) {
                    double[] y = {p[0], p[1]};
                    for (int s = 0; s < steps; s++) {
                        double[][] r = rotation(t * p[2]);
                        double[][] g = outer(y, y);
                        double[] next = new double[2];
                        for (int i = 0; i < 2; i++) next[i] = r[i][0] * y[0] + r[i][1] * y[1] + 0.01 * g[i][i];
                        y = next;
                    }
                    double[][] m = times(outer(p, y), same(outer(y, y)));
                    double s = 0;
                    for (double[] row : m) for (double v : row) s += v * v;
                    return s;
                }
                /** Weights over the rows of a jagged parameter handed back by a callee. */
                public static double jagged(double[][] a, double w) {
                    double[][] b = w > 0.5 ? same(a) : a; // a matrix on the operand stack across a jump
                    double s = 0;
                    for (int i = 0; i < b.length; i++)
                        for (int j = 0; j < b[i].length; j++) s += Math.sin(w * (i + 1)) * b[i][j] * a[i][j];
                    int[][] c = counts(b[0]);
                    return s + c[0][0] - 2 * c[1][b[0].length - 1];
                }
                public static double[][] entry(double[] a) {
                    return outer(a, a);
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("mres.Mats", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "mres/Mats", name, descriptor);
    }

    @Test
    void aLossThroughCalleesReturningMatricesMatchesTheJvmAndCentralDifferences() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("mres.Mats", "loss");
        Random random = new Random(21);
        try (NativeMethod primal = pipeline.jit(method("loss", "([DDI)D"));
             Derivative reverse = pipeline.differentiate(method("loss", "([DDI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("loss", "([DDI)D"), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            for (int trial = 0; trial < 4; trial++) {
                double[] p = random.doubles(3, -1, 1).toArray();
                double t = 0.2 + random.nextDouble();
                int steps = 1 + random.nextInt(12);
                assertEquals((double) jvm.invoke(p, t, steps), (double) primal.handle().invoke(p, t, steps), 0,
                        "primal");
                double[] dp = new double[3], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(p, dp, t, steps, out);
                double fdT = ((double) jvm.invoke(p, t + 1e-6, steps) - (double) jvm.invoke(p, t - 1e-6, steps)) / 2e-6;
                assertEquals(fdT, out[1], 1e-6 * (1 + Math.abs(fdT)), "reverse d/dt");
                double[] tangent = new double[forward.convention().slots().size()];
                for (int k = 0; k < 3; k++) {
                    double[] up = p.clone(), down = p.clone();
                    up[k] += 1e-6;
                    down[k] -= 1e-6;
                    double fd = ((double) jvm.invoke(up, t, steps) - (double) jvm.invoke(down, t, steps)) / 2e-6;
                    assertEquals(fd, dp[k], 1e-6 * (1 + Math.abs(fd)), "reverse d/dp" + k);
                    double[] direction = new double[3];
                    direction[k] = 1;
                    forward.handle().invoke(p, direction, t, 0.0, steps, tangent);
                    assertEquals(fd, tangent[forward.convention().returnTangentSlot()], 1e-6 * (1 + Math.abs(fd)),
                            "forward d/dp" + k);
                }
            }
        }
    }

    /**
     * A callee returning its (jagged) parameter hands back the caller's own matrix, here chosen by a {@code ?:} (a
     * matrix on the operand stack across a jump); int[][] results too.
     */
    @Test
    void aReturnedJaggedParameterKeepsItsShapeAndValues() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("mres.Mats", "jagged");
        Random random = new Random(4);
        try (NativeMethod primal = pipeline.jit(method("jagged", "([[DD)D"));
             Derivative reverse = pipeline.differentiate(method("jagged", "([[DD)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            for (int trial = 0; trial < 10; trial++) {
                double[][] a = new double[1 + random.nextInt(4)][];
                for (int i = 0; i < a.length; i++) {
                    a[i] = random.doubles(1 + random.nextInt(4), -1, 1).toArray();
                }
                double w = random.nextDouble();
                assertEquals((double) jvm.invoke(a, w), (double) primal.handle().invoke(a, w), 0, "primal");
                double[][] da = new double[a.length][];
                for (int i = 0; i < a.length; i++) {
                    da[i] = new double[a[i].length];
                }
                double[] out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(a, da, w, out);
                for (int i = 0; i < a.length; i++) {
                    for (int j = 0; j < a[i].length; j++) {
                        // s = sum sin(w (i+1)) a_ij^2 through the copy and the parameter alike
                        assertEquals(2 * Math.sin(w * (i + 1)) * a[i][j], da[i][j], 1e-14, "d/da" + i + j);
                    }
                }
                double fdW = ((double) jvm.invoke(a, w + 1e-6) - (double) jvm.invoke(a, w - 1e-6)) / 2e-6;
                assertEquals(fdW, out[1], 1e-6 * (1 + Math.abs(fdW)), "d/dw");
            }
        }
    }

    /**
     * 10^5 gradients of the loss with 8 steps (two matrices handed over per step, three more after the loop): a
     * leak of one 2x2 matrix (table, lengths and rows, ~100 bytes) per call would add 10 MB.
     */
    @Test
    void manyGradientCallsKeepNativeMemoryFlat() throws Throwable {
        double[] p = {0.3, -0.7, 0.5};
        try (Derivative reverse = pipeline.differentiate(method("loss", "([DDI)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] dp = new double[3], out = new double[reverse.convention().slots().size()];
            MethodHandle gradient = reverse.handle();
            for (int i = 0; i < 20_000; i++) { // warm: the JVM compiles the call paths (its compiler mallocs too)
                gradient.invokeExact(p, dp, 0.4, 8, out);
            }
            long before = NativeMemoryProbe.mallocInUse();
            for (int i = 0; i < 100_000; i++) {
                gradient.invokeExact(p, dp, 0.4, 8, out);
            }
            long grown = NativeMemoryProbe.mallocInUse() - before;
            assertTrue(dp[0] != 0);
            assertTrue(grown < 4 << 20, "malloc's bytes in use grew by " + grown + " over 10^5 gradients");
        }
    }

    @Test
    void theEntryReturningAMatrixIsRefusedInWords() {
        LoweringException e = assertThrows(LoweringException.class, () -> pipeline.jit(method("entry", "([D)[[D")));
        assertTrue(e.getMessage().contains("returning double[][] from the method the magic names: only double[] "
                + "results are returned to notebook code"), e.getMessage());
    }
}
