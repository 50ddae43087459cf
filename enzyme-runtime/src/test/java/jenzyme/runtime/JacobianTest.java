package jenzyme.runtime;

import static jenzyme.runtime.testing.VectorFunctions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.VectorFunctions;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Jacobians of vector functions (both forms: a returned {@code double[]} and a filled out-parameter) through the
 * whole pipeline: every function in forward and reverse mode (each batched, in 8 and 3 lanes, and single-lane; square,
 * tall and wide, some with Const arguments) against central finite differences of the JVM's own method, five of them
 * against analytic Jacobians, and the modes against each other.
 */
class JacobianTest {

    private static final String SOURCE = """
            package vf;
            public class Vf {
                public static double[] polar(double[] q) {
                    return new double[] {q[0] * Math.cos(q[1]), q[0] * Math.sin(q[1])};
                }
                public static double[] spherical(double[] q) {
                    double r = q[0], t = q[1], f = q[2];
                    return new double[] {r * Math.sin(t) * Math.cos(f), r * Math.sin(t) * Math.sin(f), r * Math.cos(t)};
                }
                public static void lorenz(double[] u, double[] du) {
                    du[0] = 10 * (u[1] - u[0]);
                    du[1] = u[0] * (28 - u[2]) - u[1];
                    du[2] = u[0] * u[1] - 8.0 / 3 * u[2];
                }
                public static void lotkaVolterra(double[] u, double[] p, double[] du) {
                    du[0] = p[0] * u[0] - p[1] * u[0] * u[1];
                    du[1] = p[2] * u[0] * u[1] - p[3] * u[1];
                }
                public static double[] decayResiduals(double[] p, double[] t, double[] y) {
                    double[] r = new double[t.length];
                    for (int i = 0; i < t.length; i++) r[i] = p[0] * Math.exp(-p[1] * t[i]) - y[i];
                    return r;
                }
                public static void lorenz96(double[] u, double[] du) {
                    int n = u.length;
                    for (int i = 0; i < n; i++)
                        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + 8;
                }
                public static double[] softmax(double[] x) {
                    double max = x[0];
                    for (int i = 1; i < x.length; i++) max = Math.max(max, x[i]);
                    double[] e = new double[x.length];
                    double s = 0;
                    for (int i = 0; i < x.length; i++) { e[i] = Math.exp(x[i] - max); s += e[i]; }
                    for (int i = 0; i < x.length; i++) e[i] /= s;
                    return e;
                }
                public static void matvec(double[] a, double[] x, int n, double[] y) {
                    for (int i = 0; i < y.length; i++) {
                        double s = 0;
                        for (int j = 0; j < n; j++) s += a[i * n + j] * x[j];
                        y[i] = s;
                    }
                }
                public static double[] normalise(double[] x) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += x[i] * x[i];
                    double[] y = new double[x.length];
                    for (int i = 0; i < x.length; i++) y[i] = x[i] / Math.sqrt(s);
                    return y;
                }
                public static double[] arm(double[] angles) {
                    double x = 0, y = 0, a = 0;
                    for (int i = 0; i < angles.length; i++) {
                        a += angles[i];
                        x += (1.0 + 0.5 * i) * Math.cos(a);
                        y += (1.0 + 0.5 * i) * Math.sin(a);
                    }
                    return new double[] {x, y};
                }
                public static double[] prefixProducts(double[] x) {
                    double[] y = new double[x.length];
                    double p = 1;
                    for (int i = 0; i < x.length; i++) { p *= x[i]; y[i] = p; }
                    return y;
                }
                public static double[] wrongLength(double[] x) { return new double[x.length + (x[0] > 0 ? 1 : 0)]; }
                public static double scalar(double[] x) { return x[0]; }
                /** Writes y[0] only when x[0] > 0: y[1] is never written, its column entries must stay 0. */
                public static void partial(double[] x, double[] y) { if (x[0] > 0) y[0] = x[0] * x[1]; y[2] = x[1]; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("vf.Vf", SOURCE);
    }

    private static Jacobian jacobian(String name, String descriptor, JacobianOptions options) {
        return pipeline.jacobian(new JavaMethod(classes, "vf/Vf", name, descriptor), options);
    }

    /** One function: its JVM method, where x is among its arguments, and y's length. */
    private record Case(String name, String descriptor, int input, int m, Object[] arguments) {}

    private static List<Case> cases(Random random) {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("polar", "([D)[D", 0, 2, new Object[] {new double[] {1.5, 0.7}}));
        cases.add(new Case("spherical", "([D)[D", 0, 3, new Object[] {new double[] {2, 0.9, -0.4}}));
        cases.add(new Case("lorenz", "([D[D)V", 0, 3, new Object[] {new double[] {1, 2, 3}, new double[3]}));
        cases.add(new Case("lotkaVolterra", "([D[D[D)V", 0, 2,
                new Object[] {new double[] {0.8, 1.3}, new double[] {1.1, 0.4, 0.1, 0.4}, new double[2]}));
        cases.add(new Case("decayResiduals", "([D[D[D)[D", 0, 12, new Object[] {new double[] {2.0, 0.3},
                random.doubles(12, 0, 10).toArray(), random.doubles(12, 0, 2).toArray()}));
        cases.add(new Case("lorenz96", "([D[D)V", 0, 20,
                new Object[] {random.doubles(20, -2, 5).toArray(), new double[20]}));
        cases.add(new Case("softmax", "([D)[D", 0, 7, new Object[] {random.doubles(7, -3, 3).toArray()}));
        cases.add(new Case("matvec", "([D[DI[D)V", 1, 3,
                new Object[] {random.doubles(12, -1, 1).toArray(), random.doubles(4, -1, 1).toArray(), 4, new double[3]}));
        cases.add(new Case("normalise", "([D)[D", 0, 5, new Object[] {random.doubles(5, -2, 2).toArray()}));
        cases.add(new Case("arm", "([D)[D", 0, 2, new Object[] {random.doubles(6, -1, 1).toArray()}));
        cases.add(new Case("prefixProducts", "([D)[D", 0, 9, new Object[] {random.doubles(9, 0.5, 1.5).toArray()}));
        return cases;
    }

    @Test
    void everyModeAgreesWithFiniteDifferencesOnElevenVectorFunctions() throws Throwable {
        for (Case c : cases(new Random(5))) {
            double[] x = (double[]) c.arguments()[c.input()];
            double[][] fd = finiteDifferences(c);
            double[][] previous = null;
            for (JacobianOptions options : List.of(JacobianOptions.DEFAULT.withMode(Mode.FORWARD),
                    JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(1),
                    JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(3),
                    JacobianOptions.DEFAULT.withMode(Mode.REVERSE),
                    JacobianOptions.DEFAULT.withMode(Mode.REVERSE).withWidth(1),
                    JacobianOptions.DEFAULT.withMode(Mode.REVERSE).withWidth(3))) {
                try (Jacobian jacobian = jacobian(c.name(), c.descriptor(),
                        c.name().equals("matvec") ? options.withWrt("x") : options)) {
                    assertEquals(options.mode().orElseThrow() == Mode.REVERSE ? options.width() : 1,
                            jacobian.reverseWidth(), "rows a reverse sweep");
                    double[][] j = new double[c.m()][x.length];
                    jacobian.into(j, c.arguments());
                    String what = c.name() + " " + options.mode().orElseThrow() + " x" + options.width();
                    assertClose(fd, j, 1e-6, what + " vs FD");
                    if (previous != null) {
                        assertClose(previous, j, 1e-13, what + " vs the previous mode");
                    }
                    previous = j;
                }
            }
        }
    }

    @Test
    void analyticJacobians() {
        double r = 1.5, t = 0.7, f = -0.4;
        assertClose(new double[][] {{Math.cos(t), -r * Math.sin(t)}, {Math.sin(t), r * Math.cos(t)}},
                eval("polar", "([D)[D", 2, new double[] {r, t}), 1e-14, "polar");
        assertClose(new double[][] {
                        {Math.sin(t) * Math.cos(f), r * Math.cos(t) * Math.cos(f), -r * Math.sin(t) * Math.sin(f)},
                        {Math.sin(t) * Math.sin(f), r * Math.cos(t) * Math.sin(f), r * Math.sin(t) * Math.cos(f)},
                        {Math.cos(t), -r * Math.sin(t), 0}},
                eval("spherical", "([D)[D", 3, new double[] {r, t, f}), 1e-14, "spherical");
        double[] u = {1, 2, 3};
        assertClose(new double[][] {{-10, 10, 0}, {28 - u[2], -1, -u[0]}, {u[1], u[0], -8.0 / 3}},
                eval("lorenz", "([D[D)V", 3, u, new double[3]), 1e-14, "lorenz");
        double[] v = new Random(9).doubles(20, -2, 5).toArray();
        assertClose(lorenz96(v), eval("lorenz96", "([D[D)V", 20, v, new double[20]), 1e-14, "lorenz96");
        double[] a = new Random(4).doubles(12, -1, 1).toArray();
        double[][] matrix = new double[3][4];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(a, 4 * i, matrix[i], 0, 4);
        }
        assertClose(matrix, eval("matvec", "([D[DI[D)V", 3, a, new double[] {1, 2, 3, 4}, 4, new double[3]),
                0, "matvec");
    }

    /**
     * One Jacobian called from four threads at once, each passing its own arrays in turn (bind.ArraySegments keeps
     * the heap segment of each thread's latest array per parameter): every matrix is the analytic one at its own
     * point, in compressed forward mode (4 lanes) and in reverse mode (8 rows a sweep, in lane tables per thread).
     */
    @Test
    void threadsPassingArraysInTurnEachGetTheJacobianAtTheirOwnPoint() throws Exception {
        Random random = new Random(13);
        double[][] points = new double[12][];
        for (int k = 0; k < points.length; k++) {
            points[k] = random.doubles(20, -2, 5).toArray();
        }
        for (JacobianOptions options : List.of(JacobianOptions.DEFAULT.withMode(Mode.FORWARD),
                JacobianOptions.DEFAULT.withMode(Mode.REVERSE))) {
            try (Jacobian jacobian = jacobian("lorenz96", "([D[D)V", options);
                 var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                List<java.util.concurrent.Future<?>> threads = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int offset = 3 * t;
                    threads.add(pool.submit(() -> {
                        double[] du = new double[20];
                        double[][] j = new double[20][20];
                        for (int call = 0; call < 100; call++) {
                            double[] u = points[(offset + call) % points.length];
                            jacobian.into(j, u, du);
                            assertClose(lorenz96(u), j, 1e-14, options.mode().orElseThrow() + " call " + call);
                        }
                        return null;
                    }));
                }
                for (var thread : threads) {
                    thread.get(); // rethrows a thread's failure
                }
            }
        }
    }

    /** The Jacobian of Lorenz-96's right-hand side at {@code u}. */
    private static double[][] lorenz96(double[] u) {
        int n = u.length;
        double[][] expected = new double[n][n];
        for (int i = 0; i < n; i++) {
            expected[i][(i + 1) % n] += u[(i + n - 1) % n];
            expected[i][(i + n - 2) % n] -= u[(i + n - 1) % n];
            expected[i][(i + n - 1) % n] += u[(i + 1) % n] - u[(i + n - 2) % n];
            expected[i][i] -= 1;
        }
        return expected;
    }

    @Test
    void outputsAnEvaluationLeavesUnwrittenHaveZeroRowsInEveryForwardSweep() {
        for (int width : new int[] {1, 2}) {
            try (Jacobian jacobian = jacobian("partial", "([D[D)V", JacobianOptions.DEFAULT.withMode(Mode.FORWARD)
                    .withWidth(width))) {
                double[][] j = new double[3][2];
                jacobian.into(j, new double[] {2, 3}, new double[3]);
                assertClose(new double[][] {{3, 2}, {0, 0}, {0, 1}}, j, 0, "x[0] > 0, width " + width);
                jacobian.into(j, new double[] {-2, 3}, new double[3]); // y[0] no longer written: no stale tangent
                assertClose(new double[][] {{0, 0}, {0, 0}, {0, 1}}, j, 0, "x[0] < 0, width " + width);
            }
        }
    }

    @Test
    void outputsOutnumberingInputsPickForwardModeAndTheValueIsWritten() {
        try (Jacobian jacobian = jacobian("lotkaVolterra", "([D[D[D)V", JacobianOptions.DEFAULT)) {
            assertEquals(Mode.FORWARD, jacobian.modeFor(12, 2));
            assertEquals(Mode.REVERSE, jacobian.modeFor(2, 2));
            double[] du = new double[2];
            jacobian.into(new double[2][2], new double[] {1, 2}, new double[] {1, 1, 1, 1}, du);
            assertEquals(1 - 2, du[0], 0);
            assertEquals(2 - 2, du[1], 0);
        }
    }

    @Test
    void wrongShapesAreRefusedInTheUsersWords() {
        try (Jacobian jacobian = jacobian("polar", "([D)[D", JacobianOptions.DEFAULT)) {
            IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                    () -> jacobian.into(new double[2][3], (Object) new double[] {1, 2}));
            assertTrue(rows.getMessage().contains("2 rows (one per output) with 2 columns"), rows.getMessage());
        }
        try (Jacobian jacobian = jacobian("wrongLength", "([D)[D", JacobianOptions.DEFAULT.withMode(Mode.REVERSE))) {
            IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                    () -> jacobian.into(new double[2][2], (Object) new double[] {1, 2}));
            assertTrue(length.getMessage().contains("returned an array of length 3, expected 2"), length.getMessage());
        }
        DifferentiationException scalar = assertThrows(DifferentiationException.class,
                () -> jacobian("scalar", "([D)D", JacobianOptions.DEFAULT));
        assertTrue(scalar.getMessage().contains("expected scalar to return double[] or to fill a double[] parameter"),
                scalar.getMessage());
        DifferentiationException width = assertThrows(DifferentiationException.class,
                () -> jacobian("polar", "([D)[D", JacobianOptions.DEFAULT.withWidth(65)));
        assertTrue(width.getMessage().contains("in 1..64"), width.getMessage());
    }

    private static double[][] eval(String name, String descriptor, int m, Object... arguments) {
        int input = name.equals("matvec") ? 1 : 0;
        double[][] j = new double[m][((double[]) arguments[input]).length];
        try (Jacobian jacobian = jacobian(name, descriptor,
                input == 1 ? JacobianOptions.DEFAULT.withWrt("x") : JacobianOptions.DEFAULT)) {
            jacobian.into(j, arguments);
        }
        return j;
    }

    private static double[][] finiteDifferences(Case c) throws Throwable {
        return VectorFunctions.centralDifferences(classes.jvmHandle("vf.Vf", c.name()), c.arguments(), c.input(), c.m());
    }
}
