package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static jenzyme.runtime.testing.VectorFunctions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Random;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.DerivativeRule;
import jenzyme.runtime.lower.MethodRef;
import jenzyme.runtime.sparse.SparsityPattern;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.VectorFunctions;
import org.hipparchus.special.Erf;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compressed Jacobians through the whole pipeline: each sparse function's Jacobian equals the dense one (same
 * derivative, uncompressed) and central finite differences, with the traced pattern and its colour count checked, a
 * pattern that depends on a branch not taken at the first call, a library call traced by its derivative rule, lambda
 * arguments followed into the methods they call, and dense fallback where the pattern cannot be traced.
 */
class SparseJacobianTest {

    private static final String SOURCE = """
            package sp;
            public class Sp {
                public static void lorenz96(double[] u, double[] du) {
                    int n = u.length;
                    for (int i = 0; i < n; i++)
                        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + 8;
                }
                /** Tridiagonal: boundaries by int branches, a callee, and a Const coefficient. */
                public static double[] heat(double[] u, double k) {
                    double[] d = new double[u.length];
                    for (int i = 0; i < u.length; i++) {
                        double left = i > 0 ? u[i - 1] : 0, right = i < u.length - 1 ? u[i + 1] : 0;
                        d[i] = k * laplace(left, u[i], right) + Math.sin(u[i]);
                    }
                    return d;
                }
                static double laplace(double l, double c, double r) { return l - 2 * c + r; }
                public static double[] elementwise(double[] x) {
                    double[] y = new double[x.length];
                    for (int i = 0; i < x.length; i++) y[i] = Math.exp(x[i]) * Math.max(x[i], 0.5);
                    return y;
                }
                /** Row 0 depends on x[0], x[1] when x[0] > 0 and on x[2] otherwise: both count, whatever x is. */
                public static void branchy(double[] x, double[] y) {
                    if (x[0] > 0) y[0] = x[0] * x[1]; else y[0] = x[2] * x[2];
                    for (int i = 1; i < y.length; i++) y[i] = x[i + 2] * 3;
                }
                /** Erf.erf is called back in the JVM (its class file is not traced): its rule's dependencies count. */
                public static void ruled(double[] x, double[] y) {
                    for (int i = 0; i < y.length; i++) y[i] = org.hipparchus.special.Erf.erf(x[i]) * x[(i + 1) % 6];
                }
                static double erfForward(double x, double dx) { return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * dx; }
                /** A right-hand side passed as a lambda: a method reference, one capturing a double, one an int. */
                public interface Rhs { void eval(double[] u, double[] du); }
                public static void stepped(Rhs f, double[] u, double[] du) { f.eval(u, du); }
                public static Rhs lorenzSite() { return Sp::lorenz96; }
                public static Rhs damped(double c) {
                    return (u, du) -> { lorenz96(u, du); for (int i = 0; i < u.length; i++) du[i] -= c * u[i] * u[i]; };
                }
                public static Rhs shifted(int k) {
                    return (u, du) -> { for (int i = 0; i < u.length; i++) du[i] = u[(i + k) % u.length] * u[i]; };
                }
                /** The index depends on x: not traceable, the Jacobian stays dense (and right). */
                public static void gather(double[] x, double[] y) {
                    for (int i = 0; i < y.length; i++) y[i] = x[(int) Math.abs(x[i]) % x.length] * x[i];
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("sp.Sp", SOURCE);
    }

    private record Case(String name, String descriptor, int m, int colours, int nonZeros, Object... arguments) {}

    @Test
    void compressedJacobiansEqualDenseOnesAndFiniteDifferences() throws Throwable {
        Random random = new Random(3);
        for (Case c : List.of(
                new Case("lorenz96", "([D[D)V", 20, 4, 80, random.doubles(20, -2, 5).toArray(), new double[20]),
                new Case("heat", "([DD)[D", 9, 3, 25, random.doubles(9, -1, 1).toArray(), 0.7),
                new Case("elementwise", "([D)[D", 10, 1, 10, (Object) random.doubles(10, -1, 1).toArray()))) {
            double[] x = (double[]) c.arguments()[0];
            for (int width : new int[] {1, 8}) {
                JacobianOptions options = JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(width);
                double[][] compressed = new double[c.m()][x.length];
                for (double[] row : compressed) {
                    java.util.Arrays.fill(row, Double.NaN); // what into must overwrite: zeros are written too
                }
                double[][] dense = new double[c.m()][x.length];
                try (Jacobian sparse = jacobian(c, options); Jacobian full = jacobian(c, options.withDense(true))) {
                    sparse.into(compressed, c.arguments());
                    full.into(dense, c.arguments());
                    SparsityPattern pattern = sparse.compressedPattern().orElseThrow();
                    assertEquals(c.colours(), pattern.colours(), c.name() + " colours");
                    assertEquals(c.nonZeros(), pattern.nonZeros(), c.name() + " non-zeros");
                    assertTrue(full.compressedPattern().isEmpty(), c.name() + " forced dense");
                    // 8 lanes narrow to as many as colours (a forward derivative compiled at the first call)
                    assertEquals(Math.min(width, c.colours()), sparse.compressedWidth(), c.name() + " lanes");
                }
                assertClose(dense, compressed, 1e-15, c.name() + " x" + width + " compressed vs dense");
                assertClose(finiteDifferences(c), compressed, 1e-6, c.name() + " x" + width + " vs FD");
            }
        }
    }

    @Test
    void sizesWithOtherColourCountsSweepWithTheirOwnLanes() {
        try (Jacobian jacobian = pipeline.jacobian(new JavaMethod(classes, "sp/Sp", "lorenz96", "([D[D)V"),
                JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(8))) {
            Random random = new Random(5);
            // 20 states need 4 colours, 21 need 5 (the cyclic band does not divide): x4 and x5 in turn, twice
            for (int n : new int[] {20, 21, 20, 21}) {
                double[] u = random.doubles(n, -2, 5).toArray();
                double[][] j = new double[n][n];
                jacobian.into(j, u, new double[n]);
                assertEquals(jacobian.compressedPattern().orElseThrow().colours(), jacobian.compressedWidth());
                assertEquals(n == 20 ? 4 : 5, jacobian.compressedWidth(), "lanes at n = " + n);
                for (int i = 0; i < n; i++) {
                    double[] row = new double[n];
                    row[(i + 1) % n] += u[(i + n - 1) % n];
                    row[(i + n - 2) % n] -= u[(i + n - 1) % n];
                    row[(i + n - 1) % n] += u[(i + 1) % n] - u[(i + n - 2) % n];
                    row[i] -= 1;
                    assertArrayEquals(row, j[i], 1e-14, "n = " + n + ", row " + i);
                }
            }
        }
    }

    @Test
    void jacobiansOfMethodsTakingLambdasAreCompressedWhenTheLambdaIsTraceable() throws Throwable {
        Class<?> sp = classes.load("sp.Sp");
        Object lorenz = sp.getMethod("lorenzSite").invoke(null);
        Object damped = sp.getMethod("damped", double.class).invoke(null, 0.3);
        Object shifted = sp.getMethod("shifted", int.class).invoke(null, 3); // captures an int: stays dense
        JavaMethod stepped = new JavaMethod(classes, "sp/Sp", "stepped", "(Lsp/Sp$Rhs;[D[D)V");
        Random random = new Random(7);
        try (Jacobian sparse = pipeline.jacobian(stepped, JacobianOptions.DEFAULT);
             Jacobian full = pipeline.jacobian(stepped, JacobianOptions.DEFAULT.withDense(true))) {
            // one Jacobian, the lambda site changing between calls: each is traced (or not) at its first call
            for (Object rhs : List.of(lorenz, damped, shifted, lorenz)) {
                Object[] arguments = {rhs, random.doubles(20, -2, 5).toArray(), new double[20]};
                double[][] compressed = new double[20][20];
                double[][] dense = new double[20][20];
                sparse.into(compressed, arguments);
                full.into(dense, arguments);
                String name = rhs == shifted ? "shifted" : rhs == damped ? "damped" : "lorenz";
                if (rhs == shifted) {
                    assertTrue(sparse.compressedPattern().isEmpty(), name + " dense");
                } else {
                    assertEquals(4, sparse.compressedPattern().orElseThrow().colours(), name + " colours");
                    assertEquals(4, sparse.compressedWidth(), name + " lanes");
                }
                assertTrue(full.compressedPattern().isEmpty());
                assertClose(dense, compressed, 1e-15, name + " compressed vs dense");
                assertClose(VectorFunctions.centralDifferences(classes.jvmHandle("sp.Sp", "stepped"), arguments, 1,
                        20), compressed, 1e-6, name + " vs FD");
            }
        }
    }

    @Test
    void aBranchNotTakenAtTheFirstCallStillCountsInThePattern() {
        try (Jacobian jacobian = pipeline.jacobian(new JavaMethod(classes, "sp/Sp", "branchy", "([D[D)V"),
                JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(4))) {
            double[][] j = new double[4][6];
            double[] x = {2, 3, 5, 7, 11, 13};
            jacobian.into(j, x, new double[4]); // traced here, where x[0] > 0
            assertArrayEquals(new double[] {3, 2, 0, 0, 0, 0}, j[0], 0);
            assertArrayEquals(new int[] {0, 1, 2}, jacobian.compressedPattern().orElseThrow().rows()[0]);
            x[0] = -2;
            jacobian.into(j, x, new double[4]); // the same pattern, now the else branch
            assertArrayEquals(new double[] {0, 0, 10, 0, 0, 0}, j[0], 0);
            for (int i = 1; i < 4; i++) {
                double[] row = new double[6];
                row[i + 2] = 3;
                assertArrayEquals(row, j[i], 0, "row " + i);
            }
        }
    }

    @Test
    void aLibraryCallWithADerivativeRuleDependsOnItsArguments() {
        try (Pipeline ruledPipeline = Pipeline.create()) {
            ruledPipeline.rules(List.of(new DerivativeRule(new MethodRef("org/hipparchus/special/Erf", "erf", "(D)D"),
                    Optional.of(new MethodRef("sp/Sp", "erfForward", "(DD)D")), Optional.empty(), true)));
            double[][] j = new double[6][6];
            double[] x = {0.1, -0.4, 0.7, 1.2, -0.9, 0.3};
            try (Jacobian jacobian = ruledPipeline.jacobian(new JavaMethod(classes, "sp/Sp", "ruled", "([D[D)V"),
                    JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(4))) {
                jacobian.into(j, x, new double[6]);
                assertEquals(2, jacobian.compressedPattern().orElseThrow().colours());
            }
            for (int i = 0; i < 6; i++) {
                double[] row = new double[6];
                row[i] = 2 / Math.sqrt(Math.PI) * Math.exp(-x[i] * x[i]) * x[(i + 1) % 6];
                row[(i + 1) % 6] = Erf.erf(x[i]);
                assertArrayEquals(row, j[i], 1e-14, "row " + i);
            }
        }
    }

    @Test
    void anIndexComputedFromDoublesFallsBackToTheDenseJacobian() throws Throwable {
        Case c = new Case("gather", "([D[D)V", 5, 0, 0, new double[] {0.5, 3.2, -1.7, 4.1, 2.9}, new double[5]);
        double[][] j = new double[5][5];
        try (Jacobian jacobian = jacobian(c, JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(2))) {
            jacobian.into(j, c.arguments());
            assertTrue(jacobian.compressedPattern().isEmpty());
        }
        assertClose(finiteDifferences(c), j, 1e-6, "gather vs FD");
    }

    private static Jacobian jacobian(Case c, JacobianOptions options) {
        return pipeline.jacobian(new JavaMethod(classes, "sp/Sp", c.name(), c.descriptor()), options);
    }

    private static double[][] finiteDifferences(Case c) throws Throwable {
        return VectorFunctions.centralDifferences(classes.jvmHandle("sp.Sp", c.name()), c.arguments(), 0, c.m());
    }
}
