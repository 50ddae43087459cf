package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Callees that return a new array, as integrators are written: a right-hand side and an RK4 step returning new
 * arrays, {@code y = rk4Step(...)} in a solver returning its result to a scalar loss, an adaptive step's
 * {@code ynew} kept ({@code y = ynew}) or dropped,
 * int/long/float results, a callee returning its parameter, and an entry returning an array. Each checked against the JVM on random inputs and, through reverse and forward
 * mode, against central differences; a million gradient calls keep native memory flat.
 */
class ArrayResultsTest {

    private static final String SOURCE = """
            package results;
            public class Ode {
                static double[] lotkaVolterra(double t, double[] y, double[] p) {
                    return new double[] {p[0] * y[0] - p[1] * y[0] * y[1], p[1] * y[0] * y[1] - p[2] * y[1]};
                }
                static double[] axpy(double a, double[] x, double[] y) {
                    double[] out = new double[y.length];
                    for (int i = 0; i < y.length; i++) out[i] = y[i] + a * x[i];
                    return out;
                }
                static double[] rk4Step(double t, double[] y, double h, double[] p) {
                    double[] k1 = lotkaVolterra(t, y, p);
                    double[] k2 = lotkaVolterra(t + h / 2, axpy(h / 2, k1, y), p);
                    double[] k3 = lotkaVolterra(t + h / 2, axpy(h / 2, k2, y), p);
                    double[] k4 = lotkaVolterra(t + h, axpy(h, k3, y), p);
                    double[] out = new double[y.length];
                    for (int i = 0; i < y.length; i++) out[i] = y[i] + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
                    return out;
                }
                static double[] solve(double[] y0, double[] p, double t1, int steps) {
                    double[] y = y0.clone();
                    double h = t1 / steps;
                    for (int i = 0; i < steps; i++) y = rk4Step(i * h, y, h, p);
                    return y;
                }
                public static double loss(double[] p, double t1, int steps) {
                    double[] y = solve(new double[] {p[3], p[4]}, p, t1, steps);
                    return (y[0] - 1) * (y[0] - 1) + y[1] * y[1];
                }
                /** Euler with step doubling: a step is kept only if its two half steps agree. */
                public static double adaptive(double[] p, double t1, double tol) {
                    double[] y = {p[3], p[4]};
                    double t = 0, h = t1 / 8;
                    int steps = 0;
                    while (t < t1 && steps < 10000) {
                        if (t + h > t1) h = t1 - t;
                        double[] full = axpy(h, lotkaVolterra(t, y, p), y);
                        double[] half = axpy(h / 2, lotkaVolterra(t, y, p), y);
                        double[] ynew = axpy(h / 2, lotkaVolterra(t + h / 2, half, p), half);
                        double err = Math.abs(ynew[0] - full[0]) + Math.abs(ynew[1] - full[1]);
                        if (err < tol) {
                            y = ynew;
                            t += h;
                        } else {
                            h /= 2;
                        }
                        steps++;
                    }
                    return y[0] * y[1];
                }
                public static double[] trajectoryEnd(double[] p, double t1, int steps) {
                    double[] y = {p[3], p[4]};
                    for (int i = 0; i < steps; i++) {
                        double[] next = rk4Step(0, y, t1 / steps, p);
                        y = next;
                    }
                    return y;
                }
                static int[] histogram(double[] x, int bins) {
                    int[] counts = new int[bins];
                    for (double v : x) counts[Math.min(bins - 1, Math.max(0, (int) (v * bins)))]++;
                    return counts;
                }
                static long[] squares(int n) {
                    long[] s = new long[n];
                    for (int i = 0; i < n; i++) s[i] = (long) i * i;
                    return s;
                }
                static float[] halves(double[] x) {
                    float[] h = new float[x.length];
                    for (int i = 0; i < x.length; i++) h[i] = (float) (x[i] / 2);
                    return h;
                }
                public static double mixed(double[] x, int n) {
                    int[] c = histogram(x, 4);
                    long[] s = squares(n);
                    float[] h = halves(x);
                    return c[0] + 2 * c[3] + s[n - 1] + h[1] * x[0];
                }
                static double[] either(double[] a, double[] b, boolean first) {
                    return first ? a : b;
                }
                public static double borrowed(double[] a, double[] b) {
                    double[] c = either(a, b, a[0] > b[0]);
                    double[] d = either(c, a, false);
                    return c[0] * d[1];
                }
                public static double fromParameter(double[] p, int steps) {
                    double[] y = p;
                    for (int i = 0; i < steps; i++) y = axpy(0.1, y, y);
                    return y[0];
                }
                public static double backToStart(double[] p, int steps) {
                    double[] y = p.clone();
                    for (int i = 0; i < steps; i++) {
                        y = axpy(0.1, y, y);
                        if (y[0] > 10) y = p;
                    }
                    return y[0];
                }
                public static double growing(double[] p, int steps) {
                    double[] y = {p[0]};
                    for (int i = 0; i < steps; i++) y = new double[i + 1];
                    return y[0];
                }
                public static double outOfRange(double[] p, int steps) {
                    double[] y = {p[0], p[1]};
                    for (int i = 0; i < steps; i++) {
                        double[] z = axpy(0.1, y, y);
                        y[0] = z[0] + z[1];
                    }
                    return y[steps];
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("results.Ode", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "results/Ode", name, descriptor);
    }

    @Test
    void anOdeSolvedByArrayReturningStepsGivesTheJvmsLossAndGradients() throws Throwable {
        OdeLossAgreement.check(pipeline, classes, "results.Ode", "loss", 40);
    }

    @Test
    void anAdaptiveStepKeepsOrDropsItsNewArray() throws Throwable {
        OdeLossAgreement.check(pipeline, classes, "results.Ode", "adaptive", 1e-3);
    }

    /** An entry returning an array its callees made: its Jacobian, both modes, against FD. */
    @Test
    void anEntryReturnsAnArrayItsCalleesMade() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("results.Ode", "trajectoryEnd");
        double[] p = {1.1, 0.4, 0.7, 1.0, 0.5};
        for (Mode mode : new Mode[] {Mode.FORWARD, Mode.REVERSE}) {
            try (Jacobian jacobian = pipeline.jacobian(method("trajectoryEnd", "([DDI)[D"),
                    JacobianOptions.DEFAULT.withMode(mode))) {
                double[][] j = new double[2][5];
                jacobian.into(j, p, 1.5, 20);
                for (int k = 0; k < 5; k++) {
                    double[] up = p.clone(), down = p.clone();
                    up[k] += 1e-6;
                    down[k] -= 1e-6;
                    double[] yUp = (double[]) jvm.invoke(up, 1.5, 20), yDown = (double[]) jvm.invoke(down, 1.5, 20);
                    for (int i = 0; i < 2; i++) {
                        double fd = (yUp[i] - yDown[i]) / 2e-6;
                        assertEquals(fd, j[i][k], 1e-6 * (1 + Math.abs(fd)), mode + " dy" + i + "/dp" + k);
                    }
                }
            }
        }
    }

    @Test
    void intLongAndFloatResultsAndBorrowedResults() throws Throwable {
        Random random = new Random(3);
        try (NativeMethod mixed = pipeline.jit(method("mixed", "([DI)D"));
             NativeMethod borrowed = pipeline.jit(method("borrowed", "([D[D)D"))) {
            for (int trial = 0; trial < 20; trial++) {
                double[] x = random.doubles(6).toArray(), y = random.doubles(6).toArray();
                int n = 1 + random.nextInt(40);
                assertEquals((double) classes.jvmHandle("results.Ode", "mixed").invoke(x, n),
                        (double) mixed.handle().invoke(x, n), 0);
                assertEquals((double) classes.jvmHandle("results.Ode", "borrowed").invoke(x, y),
                        (double) borrowed.handle().invoke(x, y), 0);
            }
        }
    }

    /**
     * {@code double[] y = p;} then {@code y = axpy(...)} in a loop: y is p until the first assignment, then an array
     * of its own, so p keeps its values as on the JVM; the gradient through it against central differences.
     */
    @Test
    void aLoopVariableStartingAsAParameterLeavesTheParameterAlone() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("results.Ode", "fromParameter");
        try (NativeMethod primal = pipeline.jit(method("fromParameter", "([DI)D"));
             Derivative reverse = pipeline.differentiate(method("fromParameter", "([DI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            for (int steps = 0; steps < 4; steps++) {
                double[] p = {0.7, -1.3}, kept = p.clone();
                assertEquals((double) jvm.invoke(p.clone(), steps), (double) primal.handle().invoke(p, steps), 0);
                assertEquals(kept[0], p[0], 0, "p[0] after " + steps + " steps");
                double[] dp = new double[2], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(p, dp, steps, out);
                assertEquals(kept[0], p[0], 0, "p[0] after the gradient");
                assertEquals(Math.pow(1.1, steps), dp[0], 1e-12, "d/dp0 after " + steps + " steps"); // y0 *= 1.1
                assertEquals(0, dp[1], 0);
            }
        }
    }

    /** A loop variable must be given new arrays while the loop runs, and keep its length: refused, or raised. */
    @Test
    void aLoopVariableGivenAnOldArrayOrChangingLengthIsExplained() throws Throwable {
        jenzyme.runtime.error.LoweringException e = assertThrows(jenzyme.runtime.error.LoweringException.class,
                () -> pipeline.jit(method("backToStart", "([DI)D")));
        assertTrue(e.getMessage().contains("y is assigned arrays made in a loop, which compiled code copies into an "
                + "array y owns, so while the loop runs y can only be given new arrays; but here it is assigned p "
                + "(assign p.clone() instead)"), e.getMessage());
        try (NativeMethod growing = pipeline.jit(method("growing", "([DI)D"))) {
            assertEquals(0.0, (double) growing.handle().invokeExact(new double[] {2.0}, 1), 0);
            IllegalStateException changed = assertThrows(IllegalStateException.class, () -> {
                double ignored = (double) growing.handle().invokeExact(new double[] {2.0}, 3);
            });
            assertTrue(changed.getMessage().contains("an array of length 2 was assigned in a loop to a variable "
                    + "holding 1 elements"), changed.getMessage());
        }
    }

    /**
     * 10^6 reverse gradients of the loss (1 step: 8 arrays handed over per primal call) and 10^5 calls that fail
     * inside the loop after allocating: native memory stays flat ({@link OdeLossAgreement#memoryStaysFlat}).
     */
    @Test
    void aMillionGradientCallsKeepNativeMemoryFlat() throws Throwable {
        OdeLossAgreement.memoryStaysFlat(pipeline, classes, "results/Ode", "loss", 1);
    }
}
