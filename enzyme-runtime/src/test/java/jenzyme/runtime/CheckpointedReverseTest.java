package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.jit.NativeMemory;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checkpointed reverse passes ({@link CheckpointedReverse}): the gradient of an RK4 loop of Lotka–Volterra equal to
 * the plain reverse pass's and to central differences, with segments that do not divide the trip count and with the
 * adaptive length (its thinning: SegmentsTest); bounded native memory where the plain pass's tape exceeds the budget; and loops the
 * split refuses, in words.
 */
class CheckpointedReverseTest {

    private static final String SOURCE = """
            package cp;
            public class Lv {
                /** Lotka–Volterra by RK4 in scalar locals; p = {alpha, beta, delta, gamma}. */
                public static double loss(double[] p, double h, long steps) {
                    double x = 1, y = 1;
                    for (long i = 0; i < steps; i++) {
                        double k1x = p[0] * x - p[1] * x * y, k1y = p[2] * x * y - p[3] * y;
                        double x2 = x + h / 2 * k1x, y2 = y + h / 2 * k1y;
                        double k2x = p[0] * x2 - p[1] * x2 * y2, k2y = p[2] * x2 * y2 - p[3] * y2;
                        double x3 = x + h / 2 * k2x, y3 = y + h / 2 * k2y;
                        double k3x = p[0] * x3 - p[1] * x3 * y3, k3y = p[2] * x3 * y3 - p[3] * y3;
                        double x4 = x + h * k3x, y4 = y + h * k3y;
                        double k4x = p[0] * x4 - p[1] * x4 * y4, k4y = p[2] * x4 * y4 - p[3] * y4;
                        x += h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x);
                        y += h / 6 * (k1y + 2 * k2y + 2 * k3y + k4y);
                    }
                    return x * h + y;
                }
                /** The same RK4 with the state in a double[] and the stages in double[] locals. */
                public static double lossInArrays(double[] p, double h, long steps) {
                    double[] y = {1, 1};
                    double[] k1 = new double[2], k2 = new double[2], k3 = new double[2], k4 = new double[2];
                    double[] t = new double[2];
                    for (long i = 0; i < steps; i++) {
                        rhs(p, y, k1);
                        for (int j = 0; j < 2; j++) t[j] = y[j] + h / 2 * k1[j];
                        rhs(p, t, k2);
                        for (int j = 0; j < 2; j++) t[j] = y[j] + h / 2 * k2[j];
                        rhs(p, t, k3);
                        for (int j = 0; j < 2; j++) t[j] = y[j] + h * k3[j];
                        rhs(p, t, k4);
                        for (int j = 0; j < 2; j++) y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
                    }
                    return y[0] * h + y[1];
                }
                static void rhs(double[] p, double[] y, double[] dy) {
                    dy[0] = p[0] * y[0] - p[1] * y[0] * y[1];
                    dy[1] = p[2] * y[0] * y[1] - p[3] * y[1];
                }
                public static double writesArray(double[] p, int n) {
                    double s = 0;
                    for (int i = 0; i < n; i++) { p[0] = p[0] * 0.5; s += p[0]; }
                    return s;
                }
                public static double noLoop(double x) { return x * x; }
                /** Arrays declared inside the loop body (qa7 R0a, R0b: a zero gradient, a segment that never ended). */
                public static double stageInLoop(double[] p, double[] y0, int n, double h) {
                    double[] y = y0.clone();
                    for (int i = 0; i < n; i++) {
                        double[] y2 = new double[2];
                        for (int j = 0; j < 2; j++) y2[j] = y[j] + h / 2 * y[1 - j];
                        for (int j = 0; j < 2; j++) y[j] += h * p[j] * y2[j];
                    }
                    return y[0] * y[0] + 0.5 * y[1];
                }
                static double[] rhs2(double[] y, double[] p) { return new double[] {y[1], -p[0] * y[0] - p[1] * y[1]}; }
                public static double calleeInLoop(double[] p, double[] y0, int n, double h) {
                    double[] y = y0.clone();
                    for (int i = 0; i < n; i++) {
                        double[] k = rhs2(y, p);
                        for (int j = 0; j < 2; j++) y[j] += h * k[j];
                    }
                    return y[0] * y[0] + 0.5 * y[1];
                }
                public static double cloneInLoop(double[] p, double[] y0, int n, double h) {
                    double[] y = y0.clone();
                    for (int i = 0; i < n; i++) {
                        double[] t = y.clone();
                        y[0] = t[0] + h * t[1];
                        y[1] = t[1] - h * (p[0] * t[0] + p[1] * t[1]);
                    }
                    return y[0] * y[0] + 0.5 * y[1];
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static JavaMethod LOSS;
    private static final double[] P = {1.1, 0.4, 0.1, 0.4};

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("cp.Lv", SOURCE);
        LOSS = method("loss", "([DDJ)D");
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "cp/Lv", name, descriptor);
    }

    /** {value, dL/dp0..3, dL/dh} from {@code derivative} at ({@link #P}, h, steps). */
    private static double[] gradient(Derivative derivative, double h, long steps) throws Throwable {
        double[] dp = new double[4];
        double[] out = new double[derivative.convention().slots().size()];
        derivative.handle().invokeExact(P, dp, h, steps, out);
        return new double[] {out[derivative.convention().primalSlot()], dp[0], dp[1], dp[2], dp[3],
                out[derivative.convention().adjointSlot(1)]};
    }

    /** The value bit for bit, the partials to rounding (h's adjoint is summed segment by segment). */
    private static void assertSameGradient(double[] expected, double[] actual) {
        assertEquals(expected[0], actual[0], 0, "the value, bit for bit");
        for (int k = 1; k < expected.length; k++) {
            assertEquals(expected[k], actual[k], 1e-12 * Math.abs(expected[k]), "component " + k);
        }
    }

    /** dL/dp of {@link #gradient} against central differences of the JVM's method. */
    private static void assertCentralDifferences(MethodHandle jvm, double h, long steps, double[] gradient)
            throws Throwable {
        for (int k = 0; k < 4; k++) {
            double[] up = P.clone(), down = P.clone();
            up[k] += 1e-6;
            down[k] -= 1e-6;
            double fd = ((double) jvm.invoke(up, h, steps) - (double) jvm.invoke(down, h, steps)) / 2e-6;
            assertEquals(fd, gradient[k + 1], 1e-6 * (1 + Math.abs(fd)), "d/dp" + k);
        }
    }

    @Test
    void equalsThePlainGradientAndCentralDifferences() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("cp.Lv", "loss");
        double h = 0.01;
        long steps = 1000;
        try (Derivative plain = pipeline.reverse(LOSS, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative every7 = pipeline.reverseCheckpointed(LOSS, Map.of(), DifferentiationOptions.DEFAULT, 7);
             Derivative adaptive = pipeline.reverseCheckpointed(LOSS, Map.of(), DifferentiationOptions.DEFAULT, 0)) {
            double[] expected = gradient(plain, h, steps);
            assertEquals((double) jvm.invoke(P, h, steps), expected[0], 0, "the plain value is the JVM's");
            // 1000 = 142 * 7 + 6: the last segment ends early; adaptive: 64-step segments, no thinning yet.
            for (Derivative checkpointed : new Derivative[] {every7, adaptive}) {
                assertSameGradient(expected, gradient(checkpointed, h, steps));
            }
            assertCentralDifferences(jvm, h, steps, gradient(every7, h, steps));
        }
    }

    /**
     * The plain tape grows by ~16 bytes per step (10^6 steps: beyond a 4 MB native budget, OutOfMemoryError); the
     * checkpointed pass holds one segment's tape (at most 2N/65536 steps) and stays within the budget for 10^6 and
     * for 2·10^6 steps.
     */
    @Test
    void nativeMemoryStaysBoundedWhereThePlainTapeExceedsTheBudget() throws Throwable {
        long budget = NativeMemory.budget();
        try (Derivative plain = pipeline.reverse(LOSS, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative adaptive = pipeline.reverseCheckpointed(LOSS, Map.of(), DifferentiationOptions.DEFAULT, 0)) {
            NativeMemory.setBudget(4 << 20);
            assertThrows(OutOfMemoryError.class, () -> gradient(plain, 1e-6, 1_000_000));
            double[] million = gradient(adaptive, 1e-6, 1_000_000);
            double[] more = gradient(adaptive, 1e-6, 2_000_000);
            assertTrue(million[1] != 0 && more[1] != 0 && Double.isFinite(more[1]), "gradients computed");
            assertEquals(0, NativeMemory.inUse(), "every tape freed");
        } finally {
            NativeMemory.setBudget(budget);
        }
    }

    /**
     * Issue 15: loop state in arrays. The RK4 above with y and the stages in double[] locals: each stored state holds
     * their elements. 1000 steps in segments of 64 (the last one shorter): the gradient equals the plain pass's of the
     * scalar RK4 (the value bit for bit: the same operations) and central differences; 10^6 steps within a 4 MiB
     * native budget, which the plain pass's tape exceeds (above), equal the plain pass's to rounding.
     */
    @Test
    void arraysOfLoopStateAreCheckpointedInBoundedMemory() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("cp.Lv", "lossInArrays");
        double h = 0.01;
        long steps = 1000;
        long budget = NativeMemory.budget();
        try (Derivative plain = pipeline.reverse(LOSS, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative checkpointed = pipeline.reverseCheckpointed(method("lossInArrays", "([DDJ)D"), Map.of(),
                     DifferentiationOptions.DEFAULT, 64)) {
            double[] expected = gradient(plain, h, steps);
            assertEquals((double) jvm.invoke(P, h, steps), expected[0], 0, "the scalar RK4 is the array RK4");
            double[] actual = gradient(checkpointed, h, steps);
            assertSameGradient(expected, actual);
            assertCentralDifferences(jvm, h, steps, actual);
            double[] longPlain = gradient(plain, 1e-5, 1_000_000);
            NativeMemory.setBudget(4 << 20);
            double[] longCheckpointed = gradient(checkpointed, 1e-5, 1_000_000);
            for (int k = 0; k < longPlain.length; k++) {
                assertEquals(longPlain[k], longCheckpointed[k], 1e-9 * Math.abs(longPlain[k]), "10^6 steps, " + k);
            }
            assertEquals(0, NativeMemory.inUse(), "every tape freed");
        } finally {
            NativeMemory.setBudget(budget);
        }
    }

    /** A loop that writes an array parameter (each segment runs twice) fails at the call, in words. */
    @Test
    void writingAnArrayParameterIsRefusedAtTheCall() throws Throwable {
        try (Derivative writes = pipeline.reverseCheckpointed(method("writesArray", "([DI)D"), Map.of(),
                DifferentiationOptions.DEFAULT, 0)) {
            double[] p = {1.0}, dp = new double[1], out = new double[1];
            IllegalStateException written = assertThrows(IllegalStateException.class,
                    () -> { writes.handle().invokeExact(p, dp, 10, out); });
            assertTrue(written.getMessage().contains("array parameter p"), written.getMessage());
            assertEquals(1.0, p[0], 0, "the caller's array is restored");
        }
    }

    @Test
    void loopsItCannotSplitAreRefusedInWords() {
        DifferentiationException none = assertThrows(DifferentiationException.class,
                () -> pipeline.reverseCheckpointed(method("noLoop", "(D)D"), Map.of(),
                        DifferentiationOptions.DEFAULT, 0));
        assertTrue(none.getMessage().contains("needs a loop"), none.getMessage());
        for (String[] declared : new String[][] {{"stageInLoop", "y2"}, {"calleeInLoop", "k"}, {"cloneInLoop", "t"}}) {
            RuntimeException inLoop = assertThrows(RuntimeException.class,
                    () -> pipeline.reverseCheckpointed(method(declared[0], "([D[DID)D"), Map.of(),
                            DifferentiationOptions.DEFAULT, 0));
            assertTrue(inLoop.getMessage().contains(declared[1] + " is declared inside it: declare it before the loop"),
                    declared[0] + ": " + inLoop.getMessage());
        }
    }
}
