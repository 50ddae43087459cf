package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two-dimensional (jagged) arrays: parameters, row aliasing, {@code a[i].length}, element writes that reach the
 * caller's rows, {@code new double[n][m]} locals, callees taking rows and matrices; the native primal against the
 * JVM, reverse and forward derivatives against the formula, the shadow checks, and what stays refused.
 */
class MatrixArraysTest {

    private static final String SOURCE = """
            package mat;
            public class M {
                static double dot(double[] a, double[] b) {
                    double s = 0;
                    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
                    return s;
                }
                /** x' A x over a jagged A (row i has i + 1 entries: the lower triangle). */
                public static double lowerQuad(double[][] a, double[] x) {
                    double s = 0;
                    for (int i = 0; i < a.length; i++) {
                        double[] row = a[i];
                        for (int j = 0; j < row.length; j++) s += x[i] * row[j] * x[j];
                    }
                    return s;
                }
                /** ||A B||_F^2 with the product in a local matrix. */
                public static double productNorm(double[][] a, double[][] b) {
                    int n = a.length, m = b[0].length;
                    double[][] c = new double[n][m];
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < m; j++)
                            for (int k = 0; k < b.length; k++) c[i][j] += a[i][k] * b[k][j];
                    double s = 0;
                    for (int i = 0; i < n; i++) s += dot(c[i], c[i]);
                    return s;
                }
                public static void scaleRows(double[][] a, double c) {
                    for (double[] row : a) for (int j = 0; j < row.length; j++) row[j] *= c;
                }
                public static long countCells(int[][] g, long[][] w, float[][] f) {
                    long s = 0;
                    for (int i = 0; i < g.length; i++) s += g[i].length * w[i][0] + (long) f[i][0];
                    return s;
                }
                public static double cell(double[][] a, int i, int j) { return a[i][j]; }
                public static double assignRow(double[][] a, double[] r) { a[0] = r; return a[0][0]; }
                public static double threeD(int n) { double[][][] t = new double[n][n][n]; return t[0][0][0]; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("mat.M", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "mat/M", name, descriptor);
    }

    private static double[][] jagged(Random random) {
        double[][] a = new double[5][];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.doubles(i + 1, -1, 1).toArray();
        }
        return a;
    }

    @Test
    void nativePrimalEqualsTheJvmsOnJaggedAndLocalMatrices() throws Throwable {
        Random random = new Random(7);
        try (NativeMethod quad = pipeline.jit(method("lowerQuad", "([[D[D)D"));
             NativeMethod product = pipeline.jit(method("productNorm", "([[D[[D)D"))) {
            MethodHandle jvmQuad = classes.jvmHandle("mat.M", "lowerQuad");
            MethodHandle jvmProduct = classes.jvmHandle("mat.M", "productNorm");
            for (int trial = 0; trial < 20; trial++) {
                double[][] a = jagged(random);
                double[] x = random.doubles(5, -1, 1).toArray();
                assertEquals((double) jvmQuad.invoke(a, x), (double) quad.handle().invokeExact(a, x), 0);
                double[][] p = {random.doubles(3).toArray(), random.doubles(3).toArray()};
                double[][] q = {random.doubles(4).toArray(), random.doubles(4).toArray(), random.doubles(4).toArray()};
                assertEquals((double) jvmProduct.invoke(p, q), (double) product.handle().invokeExact(p, q), 0);
            }
        }
    }

    @Test
    void writesReachTheCallersRowsAndSharedRowsStayShared() throws Throwable {
        try (NativeMethod scale = pipeline.jit(method("scaleRows", "([[DD)V"))) {
            double[] shared = {1, 2};
            double[][] a = {shared, {3}, shared};
            scale.handle().invokeExact(a, 10.0);
            // On the JVM the shared row is scaled twice; natively too, since it is one copy.
            assertArrayEquals(new double[] {100, 200}, shared);
            assertArrayEquals(new double[] {30}, a[1]);
        }
    }

    @Test
    void integerLongAndFloatMatricesAndBoundsChecks() throws Throwable {
        try (NativeMethod count = pipeline.jit(method("countCells", "([[I[[J[[F)J"));
             NativeMethod cell = pipeline.jit(method("cell", "([[DII)D"))) {
            int[][] g = {{1, 2, 3}, {4}};
            long[][] w = {{5}, {7, 8}};
            float[][] f = {{1.5f}, {2.5f}};
            assertEquals((long) classes.jvmHandle("mat.M", "countCells").invoke(g, w, f),
                    (long) count.handle().invokeExact(g, w, f));
            double[][] a = {{1, 2}, {3}};
            assertEquals(3.0, (double) cell.handle().invokeExact(a, 1, 0));
            ArrayIndexOutOfBoundsException row = assertThrows(ArrayIndexOutOfBoundsException.class,
                    () -> { double unused = (double) cell.handle().invokeExact(a, 2, 0); });
            assertTrue(row.getMessage().contains("Index 2 out of bounds for length 2"), row.getMessage());
            ArrayIndexOutOfBoundsException column = assertThrows(ArrayIndexOutOfBoundsException.class,
                    () -> { double unused = (double) cell.handle().invokeExact(a, 1, 1); });
            assertTrue(column.getMessage().contains("Index 1 out of bounds for length 1"), column.getMessage());
            NullPointerException nullRow = assertThrows(NullPointerException.class,
                    () -> { double unused = (double) cell.handle().invokeExact(new double[][] {{1}, null}, 0, 0); });
            assertTrue(nullRow.getMessage().contains("[1] is null"), nullRow.getMessage());
        }
    }

    @Test
    void reverseAndForwardDerivativesOfAJaggedMatrixHaveItsShape() throws Throwable {
        Random random = new Random(11);
        double[][] a = jagged(random);
        double[] x = random.doubles(5, -1, 1).toArray();
        try (Derivative reverse = pipeline.differentiate(method("lowerQuad", "([[D[D)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("lowerQuad", "([[D[D)D"), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            double[][] da = new double[5][];
            for (int i = 0; i < 5; i++) {
                da[i] = new double[i + 1];
            }
            double[] dx = new double[5];
            double[] out = new double[reverse.convention().slots().size()];
            reverse.handle().invokeExact(a, da, x, dx, out);
            double[] gradX = new double[5];
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j <= i; j++) {
                    assertEquals(x[i] * x[j], da[i][j], 1e-15, "d/da[" + i + "][" + j + "]");
                    gradX[i] += a[i][j] * x[j];
                    gradX[j] += x[i] * a[i][j];
                }
            }
            assertArrayEquals(gradX, dx, 1e-14);
            // Forward along (ta, tx): the tangent is the gradient's inner product with the direction.
            double[][] ta = jagged(random);
            double[] tx = random.doubles(5, -1, 1).toArray();
            double expected = 0;
            for (int i = 0; i < 5; i++) {
                expected += gradX[i] * tx[i];
                for (int j = 0; j <= i; j++) {
                    expected += da[i][j] * ta[i][j];
                }
            }
            double[] tangent = new double[forward.convention().slots().size()];
            forward.handle().invokeExact(a, ta, x, tx, tangent);
            assertEquals(expected, tangent[forward.convention().returnTangentSlot()], 1e-13);
        }
    }

    @Test
    void reverseGradientThroughALocalMatrixMatchesCentralDifferences() throws Throwable {
        Random random = new Random(5);
        double[][] p = {random.doubles(3).toArray(), random.doubles(3).toArray()};
        double[][] q = {random.doubles(2).toArray(), random.doubles(2).toArray(), random.doubles(2).toArray()};
        MethodHandle jvm = classes.jvmHandle("mat.M", "productNorm");
        try (Derivative reverse = pipeline.differentiate(method("productNorm", "([[D[[D)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[][] dp = {new double[3], new double[3]};
            double[][] dq = {new double[2], new double[2], new double[2]};
            double[] out = new double[reverse.convention().slots().size()];
            reverse.handle().invokeExact(p, dp, q, dq, out);
            assertEquals((double) jvm.invoke(p, q), out[reverse.convention().primalSlot()], 1e-14);
            for (int i = 0; i < 2; i++) {
                for (int k = 0; k < 3; k++) {
                    double h = 1e-6, keep = p[i][k];
                    p[i][k] = keep + h;
                    double up = (double) jvm.invoke(p, q);
                    p[i][k] = keep - h;
                    double down = (double) jvm.invoke(p, q);
                    p[i][k] = keep;
                    assertEquals((up - down) / (2 * h), dp[i][k], 1e-7, "d/dp[" + i + "][" + k + "]");
                }
            }
        }
    }

    @Test
    void shadowsMustHaveThePrimalsShape() {
        try (Derivative reverse = pipeline.differentiate(method("lowerQuad", "([[D[D)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[][] a = {{1}, {2, 3}};
            double[] x = {1, 2}, dx = new double[2], out = new double[1];
            IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                    () -> { reverse.handle().invokeExact(a, new double[][] {{0}}, x, dx, out); });
            assertTrue(rows.getMessage().contains("the shadow of a has 1 rows, expected 2 like a"), rows.getMessage());
            IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                    () -> { reverse.handle().invokeExact(a, new double[][] {{0}, {0}}, x, dx, out); });
            assertTrue(length.getMessage().contains("row 1 of the shadow of a has length 1, expected 2 like a[1]"),
                    length.getMessage());
            NullPointerException nullRow = assertThrows(NullPointerException.class,
                    () -> { reverse.handle().invokeExact(a, new double[][] {{0}, null}, x, dx, out); });
            assertTrue(nullRow.getMessage().contains("row 1 of the shadow of a is null"), nullRow.getMessage());
            IllegalArgumentException aliased = assertThrows(IllegalArgumentException.class,
                    () -> { reverse.handle().invokeExact(a, new double[][] {{0}, a[1]}, x, dx, out); });
            assertTrue(aliased.getMessage().contains("row 1 of the shadow of a is the same array"), aliased.getMessage());
        }
    }

    @Test
    void rowAssignmentAndThreeDimensionsAreRefusedInWords() {
        LoweringException row = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("assignRow", "([[D[D)D")));
        assertTrue(row.getMessage().contains("assigning a whole row of a double[][]"), row.getMessage());
        LoweringException three = assertThrows(LoweringException.class, () -> pipeline.jit(method("threeD", "(I)D")));
        assertTrue(three.getMessage().contains("new double[][][]"), three.getMessage());
    }
}
