package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.HessianVectorChecks;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.NativeMemoryProbe;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 12's "allocation anywhere" for matrices: a Jacobian built in each Newton iteration of each implicit time step
 * (a matrix allocated in a loop inside a loop whose trip count is not a constant) as a literal, as {@code new
 * double[2][2]}, returned by a callee, and as an n-by-n {@code new double[n][n]}; and arrays that hold no value of the
 * inputs (a literal row {1, -h} with h fixed, the chord method's fixed matrix, built in the loop or by a callee),
 * which the pipeline lowers again as inactive (ConstantLoopArrays). Each compiled: the native primal equal to the
 * JVM's, the reverse gradient, the forward tangents and the {@code --width 4} lanes against central differences of
 * the JVM's method; 10^6 forward calls (some throwing inside the inner loop) leave native memory flat. hvp (forward
 * over reverse, with Enzyme's runtime activity) against central differences of the reverse gradient, 10^5 hvp calls
 * flat.
 */
class NestedLoopMatricesTest {

    /**
     * Backward Euler for the damped pendulum y0' = y1, y1' = -a sin y0 - c y1 with p = {y0, y1, a, h}: each step
     * solves z - y - h f(z) = 0 by Newton's method with the 2x2 Jacobian I - h f'(z), at most 20 iterations.
     */
    private static final String SOURCE = """
            package nm;
            public class Nm {
                static final double C = 0.3;
                public static double literal(double[] p, int steps, int iters) {
                    double[] y = {p[0], p[1]};
                    double a = p[2], h = p[3];
                    for (int s = 0; s < steps; s++) {
                        double[] z = {y[0], y[1]};
                        for (int k = 0; k < iters; k++) {
                            double[][] J = {{1, -h}, {h * a * Math.cos(z[0]), 1 + h * C}};
                            newton(J, y, z, a, h, k);
                        }
                        y = z;
                    }
                    return y[0] * y[0] + Math.sin(y[1]);
                }
                public static double fresh(double[] p, int steps, int iters) {
                    double[] y = {p[0], p[1]};
                    double a = p[2], h = p[3];
                    for (int s = 0; s < steps; s++) {
                        double[] z = {y[0], y[1]};
                        for (int k = 0; k < iters; k++) {
                            double[][] J = new double[2][2];
                            J[0][0] = 1; J[0][1] = -h; J[1][0] = h * a * Math.cos(z[0]); J[1][1] = 1 + h * C;
                            newton(J, y, z, a, h, k);
                        }
                        y = z;
                    }
                    return y[0] * y[0] + Math.sin(y[1]);
                }
                public static double fixedStep(double[] p, int steps, int iters) {
                    double[] y = {p[0], p[1]};
                    double a = p[2], h = 0.1;
                    for (int s = 0; s < steps; s++) {
                        double[] z = {y[0], y[1]};
                        for (int k = 0; k < iters; k++) {
                            double[][] J = {{1, -h}, {h * a * Math.cos(z[0]), 1 + h * C}};
                            newton(J, y, z, a, h, k);
                        }
                        y = z;
                    }
                    return y[0] * y[0] + Math.sin(y[1]);
                }
                /** The chord method: the fixed matrix {{1, -h}, {0, 1}} stands for I - h f'(z) in every iteration. */
                public static double chord(double[] p, int steps, int iters) {
                    double[] y = {p[0], p[1]};
                    double a = p[2], h = 0.1;
                    for (int s = 0; s < steps; s++) {
                        double[] z = {y[0], y[1]};
                        for (int k = 0; k < iters; k++) {
                            double[][] J = {{1, -h}, {0, 1}};
                            newton(J, y, z, a, h, k);
                        }
                        y = z;
                    }
                    return y[0] * y[0] + Math.sin(y[1]);
                }
                /** The chord method's state after the time loop, for its Jacobian with respect to y0. */
                public static double[] chordState(double[] y0, double a, int steps) {
                    double[] y = y0.clone();
                    double h = 0.1;
                    for (int s = 0; s < steps; s++) {
                        double[] z = y.clone();
                        for (int k = 0; k < 3; k++) {
                            double[][] J = {{1, -h}, {0, 1}};
                            newton(J, y, z, a, h, k);
                        }
                        y = z;
                    }
                    return y;
                }
                static double[][] chordMatrix(double h) {
                    return new double[][] {{1, -h}, {0, 1}};
                }
                public static double chordFromCallee(double[] p, int steps, int iters) {
                    double[] y = {p[0], p[1]};
                    double a = p[2], h = 0.1;
                    for (int s = 0; s < steps; s++) {
                        double[] z = {y[0], y[1]};
                        for (int k = 0; k < iters; k++) {
                            double[][] J = chordMatrix(h);
                            newton(J, y, z, a, h, k);
                        }
                        y = z;
                    }
                    return y[0] * y[0] + Math.sin(y[1]);
                }
                static double[] firstRow(double h) {
                    return new double[] {1, -h};
                }
                public static double rowFromCallee(double[] p, int steps, int iters) {
                    double[] y = {p[0], p[1]};
                    double a = p[2], h = 0.1;
                    for (int s = 0; s < steps; s++) {
                        double[] z = {y[0], y[1]};
                        for (int k = 0; k < iters; k++) {
                            double[] r = firstRow(h);
                            double[][] J = {{r[0], r[1]}, {h * a * Math.cos(z[0]), 1 + h * C}};
                            newton(J, y, z, a, h, k);
                        }
                        y = z;
                    }
                    return y[0] * y[0] + Math.sin(y[1]);
                }
                static double[][] jacobian(double[] z, double a, double h) {
                    return new double[][] {{1, -h}, {h * a * Math.cos(z[0]), 1 + h * C}};
                }
                public static double fromCallee(double[] p, int steps, int iters) {
                    double[] y = {p[0], p[1]};
                    double a = p[2], h = p[3];
                    for (int s = 0; s < steps; s++) {
                        double[] z = {y[0], y[1]};
                        for (int k = 0; k < iters; k++) {
                            double[][] J = jacobian(z, a, h);
                            newton(J, y, z, a, h, k);
                        }
                        y = z;
                    }
                    return y[0] * y[0] + Math.sin(y[1]);
                }
                /** One Newton update of z, by Cramer's rule; a 21st iteration means no convergence. */
                static void newton(double[][] J, double[] y, double[] z, double a, double h, int k) {
                    if (k == 20) throw new IllegalStateException("no convergence in 20 Newton iterations");
                    double g0 = z[0] - y[0] - h * z[1];
                    double g1 = z[1] - y[1] + h * (a * Math.sin(z[0]) + C * z[1]);
                    double det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
                    z[0] -= (g0 * J[1][1] - J[0][1] * g1) / det;
                    z[1] -= (J[0][0] * g1 - J[1][0] * g0) / det;
                }
                /**
                 * Backward Euler for y_i' = -y_i^3 + (y_{i-1} - 2 y_i + y_{i+1}) on a ring, p the initial state: an
                 * n-by-n Jacobian per Newton iteration, solved by Gaussian elimination (diagonally dominant).
                 */
                public static double ring(double[] p, int steps, int iters) {
                    int n = p.length;
                    double h = 0.05;
                    double[] y = p.clone();
                    for (int s = 0; s < steps; s++) {
                        double[] z = y.clone();
                        for (int k = 0; k < iters; k++) {
                            double[][] J = new double[n][n];
                            double[] g = new double[n];
                            for (int i = 0; i < n; i++) {
                                int l = (i + n - 1) % n, r = (i + 1) % n;
                                g[i] = z[i] - y[i] - h * (-z[i] * z[i] * z[i] + z[l] - 2 * z[i] + z[r]);
                                J[i][i] = 1 + h * (3 * z[i] * z[i] + 2);
                                J[i][l] -= h;
                                J[i][r] -= h;
                            }
                            for (int c = 0; c < n; c++) {
                                for (int i = c + 1; i < n; i++) {
                                    double f = J[i][c] / J[c][c];
                                    for (int j = c; j < n; j++) J[i][j] -= f * J[c][j];
                                    g[i] -= f * g[c];
                                }
                            }
                            for (int i = n - 1; i >= 0; i--) {
                                double v = g[i];
                                for (int j = i + 1; j < n; j++) v -= J[i][j] * g[j];
                                g[i] = v / J[i][i];
                                z[i] -= g[i];
                            }
                        }
                        y = z;
                    }
                    double e = 0;
                    for (double v : y) e += v * v;
                    return e;
                }
            }
            """;

    private static final CompiledClasses classes = InMemoryJavac.compile("nm.Nm", SOURCE);
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    private static JavaMethod method(String name) {
        return new JavaMethod(classes, "nm/Nm", name, "([DII)D");
    }

    /** p = {y0, y1, a, h} for the pendulum, an initial state of 5 for the ring. */
    private static double[] input(String name, Random random) {
        return name.equals("ring") ? random.doubles(5, -1, 1).toArray()
                : new double[] {random.doubles(1, -1, 1).sum(), random.doubles(1, -1, 1).sum(),
                        0.5 + random.nextDouble(), 0.05 + 0.1 * random.nextDouble()};
    }

    @ParameterizedTest
    @ValueSource(strings = {"literal", "fresh", "fromCallee", "ring", "fixedStep", "chord", "chordFromCallee",
            "rowFromCallee"})
    void everyModeAgreesWithTheJvmAndCentralDifferences(String name) throws Throwable {
        MethodHandle jvm = classes.jvmHandle("nm.Nm", name);
        try (NativeMethod primal = pipeline.jit(method(name));
             Derivative reverse = pipeline.differentiate(method(name), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method(name), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT);
             BatchedForward lanes = new BatchedForward(pipeline.differentiate(method(name), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT, 4))) {
            Random random = new Random(name.hashCode());
            for (int trial = 0; trial < 6; trial++) {
                double[] p = input(name, random);
                int steps = 1 + random.nextInt(5), iters = 1 + random.nextInt(4);
                int n = p.length;
                double value = (double) jvm.invoke(p.clone(), steps, iters);
                assertEquals(value, (double) primal.handle().invoke(p.clone(), steps, iters), 0, name + " primal");
                double[] fd = CentralDifferences.gradient(x -> (double) jvm.invoke(x, steps, iters), p);

                double[] gradient = gradient(reverse, p, steps, iters);
                double[] tangent = new double[forward.convention().slots().size()];
                double[][] directions = new double[4][n];
                for (int k = 0; k < n; k++) {
                    double tolerance = 1e-6 * (1 + Math.abs(fd[k]));
                    assertEquals(fd[k], gradient[k], tolerance, name + " reverse d/dp" + k);
                    double[] direction = new double[n];
                    direction[k] = 1;
                    forward.handle().invoke(p.clone(), direction, steps, iters, tangent);
                    assertEquals(value, tangent[0], 0, name + " forward value");
                    assertEquals(fd[k], tangent[forward.convention().returnTangentSlot()], tolerance,
                            name + " forward d/dp" + k);
                    directions[k % 4][k] = 1 + k; // lanes of sums of unit directions
                }
                double[] dvalue = new double[4];
                assertEquals(value, lanes.into(dvalue, p.clone(), directions, steps, iters), 0, name + " --width 4");
                for (int lane = 0; lane < 4; lane++) {
                    double expected = 0;
                    for (int k = 0; k < n; k++) {
                        expected += directions[lane][k] * fd[k];
                    }
                    assertEquals(expected, dvalue[lane], 1e-5 * (1 + Math.abs(expected)), name + " lane " + lane);
                }
            }
        }
    }

    /**
     * hvp, Enzyme's forward sweep over the reverse gradient (with runtime activity: without it Enzyme refused the
     * gradient's tape of the loop's matrices as mixed activity), against central differences of the reverse gradient
     * along v, on random points, directions and loop counts.
     */
    @ParameterizedTest
    @ValueSource(strings = {"literal", "fresh", "fromCallee", "fixedStep", "ring", "chord", "chordFromCallee"})
    void hvpAgreesWithDifferencesOfTheGradient(String name) throws Throwable {
        try (Derivative hvp = pipeline.hvp(method(name));
             Derivative reverse = pipeline.differentiate(method(name), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            Random random = new Random(name.hashCode() + 1);
            for (int trial = 0; trial < 6; trial++) {
                double[] p = input(name, random);
                int n = p.length, steps = 1 + random.nextInt(5), iters = 1 + random.nextInt(4);
                double[] v = random.doubles(n, -1, 1).toArray(), hv = new double[n];
                hvp.handle().invoke(p.clone(), v, hv, steps, iters, new double[hvp.convention().slots().size()]);
                HessianVectorChecks.assertAgreesWithDifferencesOfTheGradient(hv,
                        at -> gradient(reverse, at, steps, iters), p, v, name + ", trial " + trial);
            }
        }
    }

    /** The Jacobian's forward sweeps (dense, two lanes) lower such arrays inactive too; reverse needs no change. */
    @Test
    void theJacobianOfTheChordMethodsStateInEveryMode() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("nm.Nm", "chordState");
        double[] y0 = {0.6, -0.4};
        double a = 1.3;
        for (jenzyme.runtime.ad.JacobianOptions options : new jenzyme.runtime.ad.JacobianOptions[] {
                jenzyme.runtime.ad.JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withDense(true).withWidth(1),
                jenzyme.runtime.ad.JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withDense(true).withWidth(2),
                jenzyme.runtime.ad.JacobianOptions.DEFAULT.withMode(Mode.REVERSE)}) {
            try (Jacobian jacobian = pipeline.jacobian(new JavaMethod(classes, "nm/Nm", "chordState", "([DDI)[D"),
                    options)) {
                double[][] j = new double[2][2];
                jacobian.into(j, y0, a, 4);
                for (int k = 0; k < 2; k++) {
                    double[] up = y0.clone(), down = y0.clone();
                    up[k] += 1e-6;
                    down[k] -= 1e-6;
                    double[] f = (double[]) jvm.invoke(up, a, 4), b = (double[]) jvm.invoke(down, a, 4);
                    for (int i = 0; i < 2; i++) {
                        double fd = (f[i] - b[i]) / 2e-6;
                        assertEquals(fd, j[i][k], 1e-6 * (1 + Math.abs(fd)), options + " dy" + i + "/dy0" + k);
                    }
                }
            }
        }
    }

    private static double[] gradient(Derivative reverse, double[] p, int steps, int iters) throws Throwable {
        double[] dp = new double[p.length], out = new double[reverse.convention().slots().size()];
        reverse.handle().invoke(p.clone(), dp, steps, iters, out);
        return dp;
    }

    /**
     * 10^6 forward calls of each pendulum variant (three matrices per call), then 10^5 that throw in their 21st Newton
     * iteration after making its matrix: glibc's bytes in use stay within 16 MB (a matrix's row-length table leaked
     * per call would add 32 MB: Enzyme's forward mode drops the plain free of a table marked inactive, hence
     * IrModule#freeRowLengths), and the tangent still agrees with central differences.
     */
    @ParameterizedTest
    @ValueSource(strings = {"literal", "fresh", "fromCallee", "fixedStep", "chord", "chordFromCallee", "rowFromCallee"})
    void forwardCallsLeaveNativeMemoryFlat(String name) throws Throwable {
        try (Derivative forward = pipeline.differentiate(method(name), Mode.FORWARD, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] p = {0.4, -0.2, 0.9, 0.1}, direction = {1, 0, 0, 0};
            double[] tangent = new double[forward.convention().slots().size()];
            MethodHandle handle = forward.handle();
            long grown = NativeMemoryProbe.growth(() -> {
                handle.invokeExact(p, direction, 1, 3, tangent); // void: as a statement, invokeExact's type
            }, 100_000, 1_000_000, () -> {
                handle.invokeExact(p, direction, 1, 25, tangent);
            }, IllegalStateException.class, 100_000);
            System.out.println(name + ": malloc's bytes in use grew by " + grown + " over 10^6 forward calls");
            assertTrue(grown < 16 << 20, name + ": malloc's bytes in use grew by " + grown + " over 10^6 calls");
            handle.invokeExact(p, direction, 1, 3, tangent);
            double h = 1e-6;
            MethodHandle jvm = classes.jvmHandle("nm.Nm", name);
            double fd = ((double) jvm.invoke(new double[] {p[0] + h, p[1], p[2], p[3]}, 1, 3)
                    - (double) jvm.invoke(new double[] {p[0] - h, p[1], p[2], p[3]}, 1, 3)) / (2 * h);
            assertEquals(fd, tangent[forward.convention().returnTangentSlot()], 1e-6 * (1 + Math.abs(fd)), name);
        }
    }

    /**
     * 10^5 hvp calls of each pendulum variant (runtime activity's products: the gradient's tape of the matrices made
     * and freed each Newton iteration), then 10^4 that throw in their 21st Newton iteration: malloc's bytes in use
     * stay within 16 MB, and the product still agrees with central differences of the gradient.
     */
    @ParameterizedTest
    @ValueSource(strings = {"literal", "fresh", "fromCallee"})
    void hvpCallsLeaveNativeMemoryFlat(String name) throws Throwable {
        try (Derivative hvp = pipeline.hvp(method(name));
             Derivative reverse = pipeline.differentiate(method(name), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            double[] p = {0.4, -0.2, 0.9, 0.1}, v = {1, -0.5, 0.25, 2}, hv = new double[4];
            double[] out = new double[hvp.convention().slots().size()];
            MethodHandle handle = hvp.handle();
            long grown = NativeMemoryProbe.growth(() -> {
                handle.invokeExact(p, v, hv, 2, 3, out); // void: as a statement, invokeExact's type
            }, 10_000, 100_000, () -> {
                handle.invokeExact(p, v, hv, 1, 25, out);
            }, IllegalStateException.class, 10_000);
            System.out.println(name + ": malloc's bytes in use grew by " + grown + " over 10^5 hvp calls");
            assertTrue(grown < 16 << 20, name + ": malloc's bytes in use grew by " + grown + " over 10^5 hvp calls");
            handle.invokeExact(p, v, hv, 2, 3, out);
            HessianVectorChecks.assertAgreesWithDifferencesOfTheGradient(hv, at -> gradient(reverse, at, 2, 3), p, v,
                    name);
        }
    }
}
