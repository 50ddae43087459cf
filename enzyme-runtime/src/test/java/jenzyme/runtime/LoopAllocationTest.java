package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
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
 * Arrays and matrices allocated inside loops and in callees: an RK4 whose stages are allocated every step, a
 * Jacobian matrix allocated every step, checked against the JVM and central differences; a million gradient calls
 * with flat native memory (a leak of one stage array per call would add 10^6 mallocs, tens of MB); and the arrays
 * that would outlive their iteration, refused in words.
 */
class LoopAllocationTest {

    private static final String SOURCE = """
            package alloc;
            public class Rk {
                static void rhs(double[] p, double[] y, double[] dy) {
                    dy[0] = p[0] * y[0] - p[1] * y[0] * y[1];
                    dy[1] = p[1] * y[0] * y[1] - p[2] * y[1];
                }
                /** RK4 as often written: fresh stage arrays every step. */
                public static double rk4(double[] p, double t1, int steps) {
                    double h = t1 / steps;
                    double[] y = {1.0, 0.5};
                    for (int i = 0; i < steps; i++) {
                        double[] k1 = new double[2], k2 = new double[2], k3 = new double[2], k4 = new double[2];
                        rhs(p, y, k1);
                        double[] y2 = {y[0] + 0.5 * h * k1[0], y[1] + 0.5 * h * k1[1]};
                        rhs(p, y2, k2);
                        double[] y3 = {y[0] + 0.5 * h * k2[0], y[1] + 0.5 * h * k2[1]};
                        rhs(p, y3, k3);
                        double[] y4 = y.clone();
                        for (int j = 0; j < 2; j++) y4[j] += h * k3[j];
                        rhs(p, y4, k4);
                        for (int j = 0; j < 2; j++) y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
                    }
                    return y[0] * y[1];
                }
                /** Linearly implicit Euler for y' = -A y with a 2x2 system matrix built every step. */
                public static double implicitEuler(double[] a, double h, int steps) {
                    double[] y = {1.0, 2.0};
                    for (int s = 0; s < steps; s++) {
                        double[][] m = new double[2][2];
                        for (int i = 0; i < 2; i++)
                            for (int j = 0; j < 2; j++) m[i][j] = (i == j ? 1 : 0) + h * a[2 * i + j];
                        double det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
                        double y0 = (m[1][1] * y[0] - m[0][1] * y[1]) / det;
                        double y1 = (m[0][0] * y[1] - m[1][0] * y[0]) / det;
                        y[0] = y0;
                        y[1] = y1;
                    }
                    return y[0] + y[1];
                }
                public static double keepsLastStage(double[] p, int steps) {
                    double[] last = p;
                    for (int i = 0; i < steps; i++) {
                        double[] k = new double[2];
                        k[0] = p[0] * i;
                        last = k;
                    }
                    return last[0];
                }
                public static double readsAfterCopy(double[] p, int steps) {
                    double[] y = {p[0], p[1]};
                    double s = 0;
                    for (int i = 0; i < steps; i++) {
                        double[] next = {y[1], -y[0]};
                        y = next;
                        next[0] = 0;
                        s += y[0];
                    }
                    return s;
                }
                static final class Pos {
                    final double[] xy;
                    Pos(double[] xy) { this.xy = xy; }
                }
                public static double keepsInRecord(double[] p, int steps) {
                    double s = 0;
                    for (int i = 0; i < steps; i++) {
                        Pos q = new Pos(new double[] {p[0], i});
                        s += q.xy[1];
                    }
                    return s;
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("alloc.Rk", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "alloc/Rk", name, descriptor);
    }

    @Test
    void stagesAllocatedEveryStepGiveTheJvmsResultAndGradient() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("alloc.Rk", "rk4");
        double[] p = {1.1, 0.4, 0.7};
        try (NativeMethod primal = pipeline.jit(method("rk4", "([DDI)D"));
             Derivative reverse = pipeline.differentiate(method("rk4", "([DDI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("rk4", "([DDI)D"), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            assertEquals((double) jvm.invoke(p, 2.0, 40), (double) primal.handle().invokeExact(p, 2.0, 40), 0);
            double[] dp = new double[3], out = new double[reverse.convention().slots().size()];
            reverse.handle().invokeExact(p, dp, 2.0, 40, out);
            double[] tangent = new double[forward.convention().slots().size()];
            for (int k = 0; k < 3; k++) {
                double h = 1e-6;
                double[] up = p.clone(), down = p.clone();
                up[k] += h;
                down[k] -= h;
                double fd = ((double) jvm.invoke(up, 2.0, 40) - (double) jvm.invoke(down, 2.0, 40)) / (2 * h);
                assertEquals(fd, dp[k], 1e-7 * (1 + Math.abs(fd)), "reverse d/dp" + k);
                double[] direction = new double[3];
                direction[k] = 1;
                forward.handle().invokeExact(p, direction, 2.0, 0.0, 40, tangent);
                assertEquals(fd, tangent[forward.convention().returnTangentSlot()], 1e-7 * (1 + Math.abs(fd)),
                        "forward d/dp" + k);
            }
        }
    }

    @Test
    void aMatrixAllocatedEveryStep() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("alloc.Rk", "implicitEuler");
        double[] a = {2.0, 0.3, -0.4, 1.5};
        try (NativeMethod primal = pipeline.jit(method("implicitEuler", "([DDI)D"));
             Derivative reverse = pipeline.differentiate(method("implicitEuler", "([DDI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            assertEquals((double) jvm.invoke(a, 0.05, 30), (double) primal.handle().invokeExact(a, 0.05, 30), 0);
            double[] da = new double[4], out = new double[reverse.convention().slots().size()];
            reverse.handle().invokeExact(a, da, 0.05, 30, out);
            for (int k = 0; k < 4; k++) {
                double[] up = a.clone(), down = a.clone();
                up[k] += 1e-6;
                down[k] -= 1e-6;
                double fd = ((double) jvm.invoke(up, 0.05, 30) - (double) jvm.invoke(down, 0.05, 30)) / 2e-6;
                assertEquals(fd, da[k], 1e-7 * (1 + Math.abs(fd)), "d/da" + k);
            }
        }
    }

    /**
     * 10^6 reverse gradients and 10^5 forward and primal calls of the RK4 (4 steps: 24 mallocs per primal
     * call, more in the derivatives): the bytes malloc has out (glibc's count over all arenas) stay within 16 MB.
     * Leaking even the smallest of those arrays per call (16 bytes plus malloc's header) would add 32 MB per million
     * calls; one step's stages, hundreds of MB (why malloc's count, not resident memory: {@link NativeMemoryProbe}).
     */
    @Test
    void aMillionGradientCallsKeepNativeMemoryFlat() throws Throwable {
        double[] p = {1.1, 0.4, 0.7};
        try (NativeMethod primal = pipeline.jit(method("rk4", "([DDI)D"));
             Derivative reverse = pipeline.differentiate(method("rk4", "([DDI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("rk4", "([DDI)D"), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            double[] dp = new double[3], out = new double[reverse.convention().slots().size()];
            double[] direction = {1, 0, 0}, tangent = new double[forward.convention().slots().size()];
            MethodHandle gradient = reverse.handle(), tangentHandle = forward.handle(), value = primal.handle();
            double sink = 0;
            for (int i = 0; i < 100_000; i++) { // warm: the JVM compiles the call paths (its compiler mallocs too)
                gradient.invokeExact(p, dp, 1.0, 4, out);
                tangentHandle.invokeExact(p, direction, 1.0, 0.0, 4, tangent);
                sink += (double) value.invokeExact(p, 1.0, 4);
            }
            long before = NativeMemoryProbe.mallocInUse();
            for (int i = 0; i < 1_000_000; i++) {
                gradient.invokeExact(p, dp, 1.0, 4, out);
            }
            for (int i = 0; i < 100_000; i++) {
                tangentHandle.invokeExact(p, direction, 1.0, 0.0, 4, tangent);
                sink += (double) value.invokeExact(p, 1.0, 4);
            }
            long grown = NativeMemoryProbe.mallocInUse() - before;
            assertTrue(sink > 0);
            assertTrue(grown < 16 << 20, "malloc's bytes in use grew by " + grown + " over 10^6 gradients");
        }
    }

    /**
     * {@code double[] last = p;} then {@code last = k;} of each iteration's array: last is p until the loop assigns it,
     * then an array of its own, so p keeps its values (the JVM's result for 0 steps too).
     */
    @Test
    void aLoopVariableStartingAsAParameterTakesAnArrayOfItsOwn() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("alloc.Rk", "keepsLastStage");
        try (NativeMethod primal = pipeline.jit(method("keepsLastStage", "([DI)D"))) {
            for (int steps = 0; steps < 4; steps++) {
                double[] p = {1.5, 2.5};
                assertEquals((double) jvm.invoke(p.clone(), steps), (double) primal.handle().invokeExact(p, steps), 0);
                assertEquals(1.5, p[0], 0, "p[0] after " + steps + " steps");
            }
        }
    }

    /** Refused at the line that keeps the array, with a way out that fits. */
    @Test
    void anArrayThatWouldOutliveItsIterationIsRefusedInWords() {
        LoweringException inRecord = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("keepsInRecord", "([DI)D")));
        assertTrue(inRecord.getMessage().contains("keeping an array allocated inside a loop beyond its iteration: "
                + "it becomes part of a record or object"), inRecord.getMessage());
        assertTrue(inRecord.getMessage().contains("allocate it before the loop and refill it in each iteration"),
                inRecord.getMessage());
        assertEquals(lineOf("Pos q = new Pos("), inRecord.sourceLine());
        LoweringException shared = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("readsAfterCopy", "([DI)D")));
        assertTrue(shared.getMessage().contains("using next after y = next: compiled code copies the values of next "
                + "into the array y holds"), shared.getMessage());
        assertEquals(lineOf("next[0] = 0;"), shared.sourceLine());
    }

    private static int lineOf(String text) {
        java.util.List<String> lines = SOURCE.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException(text);
    }
}
