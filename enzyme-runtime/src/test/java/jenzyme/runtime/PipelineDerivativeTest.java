package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.lower.BytecodeLowering;
import jenzyme.runtime.lower.LoweredModule;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole AD pipeline on Java methods: javac → frontend → real Enzyme worker → ORC JIT → bound handle, checked
 * against analytic derivatives and central finite differences of the JVM's own method.
 */
class PipelineDerivativeTest {

    private static final String SOURCE = """
            package ad;
            public class Fns {
                public static double sinSum(double x, double[] a, int n) {
                    double s = x * x;
                    for (int i = 0; i < n; i++) s += Math.sin(x * a[i]);
                    return s;
                }
                public static double rosenbrock(double[] p) {
                    double s = 0;
                    for (int i = 0; i + 1 < p.length; i++) {
                        double u = p[i + 1] - p[i] * p[i], v = 1 - p[i];
                        s += 100 * u * u + v * v;
                    }
                    return s;
                }
                static double square(double x) { return x * x; }
                static double power(double x, int k) { return k == 0 ? 1 : x * power(x, k - 1); }
                public static double composite(double x, double y) {
                    double r = x > y ? Math.exp(x - y) : Math.log1p(y - x) + 1;
                    return square(r) + power(Math.atan2(y, 1 + x * x), 3) + Math.hypot(x, y) * Math.tanh(y);
                }
                public static void scale(double[] in, double[] out, double c) {
                    for (int i = 0; i < in.length; i++) out[i] = c * in[i] * in[i];
                }
                public static double overrun(double[] a) { return a[a.length]; }
                public static double overrunVia(double[] a) { double s = a[0] * a[0]; return s * overrun(a); }
                // after overrun/overrunVia: their line numbers are asserted below
                public static double vsum(boolean sq, double[] xs) {
                    double s = 0;
                    for (double v : xs) s += sq ? v * v : v;
                    return s;
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("ad.Fns", SOURCE);
    }

    private static Derivative derive(String name, String descriptor, Mode mode, Map<String, Activity> overrides) {
        return pipeline.differentiate(new JavaMethod(classes, "ad/Fns", name, descriptor), mode, overrides,
                DifferentiationOptions.DEFAULT);
    }

    @Test
    void reverseModeOfALoopMatchesTheAnalyticGradient() throws Throwable {
        Derivative d = derive("sinSum", "(D[DI)D", Mode.REVERSE, Map.of());
        MethodHandle h = d.handle();
        assertEquals(MethodType.methodType(void.class, double.class, double[].class, double[].class, int.class,
                double[].class), h.type());
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            double x = random.nextGaussian() * 2;
            double[] a = random.doubles(1 + random.nextInt(20), -3, 3).toArray();
            double[] da = new double[a.length];
            double[] out = new double[2];
            h.invokeExact(x, a, da, a.length, out);
            double value = x * x, dx = 2 * x;
            for (int i = 0; i < a.length; i++) {
                value += Math.sin(x * a[i]);
                dx += a[i] * Math.cos(x * a[i]);
                assertEquals(x * Math.cos(x * a[i]), da[i], 1e-12 * (1 + Math.abs(da[i])), "d/da[" + i + "]");
            }
            assertEquals(value, out[0], 1e-12 * (1 + Math.abs(value)), "value");
            assertEquals(dx, out[1], 1e-12 * (1 + Math.abs(dx)), "d/dx");
        }
    }

    @Test
    void rosenbrockGradientMatchesTheFormulaInDimensionOneThousand() throws Throwable {
        Derivative d = derive("rosenbrock", "([D)D", Mode.REVERSE, Map.of());
        Random random = new Random(11);
        double[] p = random.doubles(1000, -2, 2).toArray();
        double[] dp = new double[p.length];
        double[] out = new double[1];
        d.handle().invokeExact(p, dp, out);
        for (int i = 0; i < p.length; i++) {
            double g = (i > 0 ? 200 * (p[i] - p[i - 1] * p[i - 1]) : 0)
                    + (i + 1 < p.length ? -400 * p[i] * (p[i + 1] - p[i] * p[i]) - 2 * (1 - p[i]) : 0);
            assertEquals(g, dp[i], 1e-12 * (1 + Math.abs(g)), "d/dp[" + i + "]");
        }
    }

    @Test
    void callsRecursionBranchesAndLibmAgreeWithFiniteDifferences() throws Throwable {
        Derivative d = derive("composite", "(DD)D", Mode.REVERSE, Map.of());
        MethodHandle jvm = classes.jvmHandle("ad.Fns", "composite");
        Random random = new Random(3);
        for (int trial = 0; trial < 100; trial++) {
            double x = random.nextGaussian(), y = random.nextGaussian();
            if (Math.abs(x - y) < 1e-3) {
                continue; // the kink of the piecewise branch: FD straddles it
            }
            double[] out = new double[3];
            d.handle().invokeExact(x, y, out);
            double h = 1e-6;
            double fdx = ((double) jvm.invokeExact(x + h, y) - (double) jvm.invokeExact(x - h, y)) / (2 * h);
            double fdy = ((double) jvm.invokeExact(x, y + h) - (double) jvm.invokeExact(x, y - h)) / (2 * h);
            assertEquals((double) jvm.invokeExact(x, y), out[0], 1e-12 * (1 + Math.abs(out[0])), "value");
            assertEquals(fdx, out[1], 1e-6 * (1 + Math.abs(fdx)), "d/dx at " + x + "," + y);
            assertEquals(fdy, out[2], 1e-6 * (1 + Math.abs(fdy)), "d/dy at " + x + "," + y);
        }
    }

    @Test
    void forwardModeGivesTheDirectionalDerivative() throws Throwable {
        Derivative d = derive("sinSum", "(D[DI)D", Mode.FORWARD, Map.of());
        MethodHandle h = d.handle();
        assertEquals(MethodType.methodType(void.class, double.class, double.class, double[].class, double[].class,
                int.class, double[].class), h.type());
        Random random = new Random(5);
        for (int trial = 0; trial < 100; trial++) {
            double x = random.nextGaussian(), tx = random.nextGaussian();
            double[] a = random.doubles(8, -2, 2).toArray();
            double[] ta = random.doubles(8, -1, 1).toArray();
            double[] out = new double[2];
            h.invokeExact(x, tx, a, ta, a.length, out);
            double expected = 2 * x * tx;
            for (int i = 0; i < a.length; i++) {
                expected += Math.cos(x * a[i]) * (a[i] * tx + x * ta[i]);
            }
            assertEquals(expected, out[1], 1e-12 * (1 + Math.abs(expected)));
        }
    }

    @Test
    void voidMethodsAreSeededThroughTheOutputShadow() throws Throwable {
        Derivative d = derive("scale", "([D[DD)V", Mode.REVERSE, Map.of());
        double[] in = {1, 2, 3}, din = new double[3], out = new double[3], seed = {1, 10, 100};
        double[] slots = new double[1];
        d.handle().invokeExact(in, din, out, seed, 2.5, slots);
        for (int i = 0; i < 3; i++) {
            assertEquals(2.5 * in[i] * in[i], out[i], 0, "primal output");
            assertEquals(new double[] {1, 10, 100}[i] * 2 * 2.5 * in[i], din[i], 1e-12, "d/din[" + i + "]");
        }
        assertEquals(1 + 4 * 10 + 9 * 100, slots[0], 1e-12, "d/dc = sum seed_i * in_i^2");
    }

    @Test
    void constOverridesRemoveShadowsAndAdjoints() throws Throwable {
        Derivative d = derive("sinSum", "(D[DI)D", Mode.REVERSE, Map.of("a", Activity.CONST));
        assertEquals(MethodType.methodType(void.class, double.class, double[].class, int.class, double[].class),
                d.handle().type());
        double[] out = new double[2];
        d.handle().invokeExact(0.5, new double[] {2.0}, 1, out);
        assertEquals(2 * 0.5 + 2 * Math.cos(1.0), out[1], 1e-14);
    }

    @Test
    void outOfBoundsInsideTheDerivativeRaisesTheJavaException() {
        Derivative d = derive("overrun", "([D)D", Mode.REVERSE, Map.of());
        double[] a = {1, 2};
        var e = assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> { d.handle().invokeExact(a, new double[2], new double[1]); });
        assertEquals("Index 2 out of bounds for length 2", e.getMessage());
        assertEquals(new StackTraceElement("ad.Fns", "overrun", null, 25), e.getStackTrace()[0]);
        Derivative via = derive("overrunVia", "([D)D", Mode.REVERSE, Map.of());
        var called = assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> { via.handle().invokeExact(a, new double[2], new double[1]); });
        assertEquals(List.of(new StackTraceElement("ad.Fns", "overrun", null, 25),
                new StackTraceElement("ad.Fns", "overrunVia", null, 26)), List.of(called.getStackTrace()).subList(0, 2),
                "the compiled caller's frame survives differentiation");
    }

    @Test
    void shadowsAreCheckedBeforeTheCall() {
        Derivative d = derive("rosenbrock", "([D)D", Mode.REVERSE, Map.of());
        double[] p = new double[10];
        var shortShadow = assertThrows(IllegalArgumentException.class,
                () -> { d.handle().invokeExact(p, new double[9], new double[1]); });
        assertTrue(shortShadow.getMessage().contains("at least as long as p (10), got length 9"),
                shortShadow.getMessage());
        var aliased = assertThrows(IllegalArgumentException.class, () -> { d.handle().invokeExact(p, p, new double[1]); });
        assertTrue(aliased.getMessage().startsWith("the shadow of p is the same array as another argument"),
                aliased.getMessage());
        assertThrows(IllegalArgumentException.class, () -> { d.handle().invokeExact(p, new double[10], new double[0]); });
        // Forward mode: the user passes a tangent, and the message says so (qa7 R5).
        try (Derivative forward = derive("rosenbrock", "([D)D", Mode.FORWARD, Map.of())) {
            var shortTangent = assertThrows(IllegalArgumentException.class,
                    () -> { forward.handle().invokeExact(p, new double[9], new double[2]); });
            assertEquals("expected the tangent tp of p to be at least as long as p (10), got length 9",
                    shortTangent.getMessage());
            var sameTangent = assertThrows(IllegalArgumentException.class,
                    () -> { forward.handle().invokeExact(p, p, new double[2]); });
            assertTrue(sameTangent.getMessage().startsWith("the tangent tp of p is the same array as another argument"),
                    sameTangent.getMessage());
            var nullTangent = assertThrows(NullPointerException.class,
                    () -> { forward.handle().invokeExact(p, (double[]) null, new double[2]); });
            assertEquals("the tangent tp of p is null", nullTangent.getMessage());
        }
    }

    @Test
    void badActivitiesAreRefusedWithTheParameterName() {
        LoweredModule lowered = new BytecodeLowering(classes).lower("ad/Fns", "sinSum", "(D[DI)D");
        var onInt = assertThrows(DifferentiationException.class,
                () -> CallingConvention.of(lowered.entry(), Mode.REVERSE, Map.of("n", Activity.ACTIVE)));
        assertTrue(onInt.getMessage().contains("parameter n (int) cannot be ACTIVE"), onInt.getMessage());
        var unknown = assertThrows(DifferentiationException.class,
                () -> CallingConvention.of(lowered.entry(), Mode.REVERSE, Map.of("z", Activity.CONST)));
        assertTrue(unknown.getMessage().contains("got 'z'"), unknown.getMessage());
        assertThrows(DifferentiationException.class, () -> CallingConvention.of(lowered.entry(), Mode.REVERSE,
                Map.of("x", Activity.CONST, "a", Activity.CONST)));
        var onBoolean = assertThrows(DifferentiationException.class, () -> CallingConvention.of(new BytecodeLowering(
                classes).lower("ad/Fns", "vsum", "(Z[D)D").entry(), Mode.REVERSE, Map.of("sq", Activity.ACTIVE)));
        assertTrue(onBoolean.getMessage().contains("parameter sq (boolean) cannot be ACTIVE"), onBoolean.getMessage());
    }

    @Test
    void aBooleanParameterIsAConstantInReverseAndForwardMode() throws Throwable {
        double[] xs = {1.5, -2, 0.25};
        try (Derivative reverse = derive("vsum", "(Z[D)D", Mode.REVERSE, Map.of());
             Derivative forward = derive("vsum", "(Z[D)D", Mode.FORWARD, Map.of())) {
            for (boolean sq : new boolean[] {true, false}) { // sum of squares (gradient 2x) or plain sum (gradient 1)
                double[] g = new double[3], out = new double[1];
                reverse.handle().invokeExact(sq, xs, g, out);
                assertEquals(sq ? 6.3125 : -0.25, out[0], 0.0);
                assertArrayEquals(sq ? new double[] {3, -4, 0.5} : new double[] {1, 1, 1}, g, 0.0);
                double[] tangent = new double[2];
                forward.handle().invokeExact(sq, xs, new double[] {1, 0.5, -2}, tangent);
                assertEquals(sq ? 3 - 2 - 1 : 1 + 0.5 - 2, tangent[1], 0.0);
            }
        }
    }

    @Test
    void redifferentiatingReleasesNothingTheNewBindingNeeds() throws Throwable {
        Derivative first = derive("rosenbrock", "([D)D", Mode.REVERSE, Map.of());
        first.close();
        assertThrows(RuntimeException.class,
                () -> { first.handle().invokeExact(new double[2], new double[2], new double[1]); });
        Derivative second = derive("rosenbrock", "([D)D", Mode.REVERSE, Map.of());
        double[] g = new double[2];
        second.handle().invokeExact(new double[] {1, 1}, g, new double[1]);
        assertEquals(0, g[0], 0);
        assertEquals(0, g[1], 0);
    }

    @Test
    void hessianVectorProductOfRosenbrockMatchesTheAnalyticHessian() throws Throwable {
        Derivative hvp = pipeline.hvp(new JavaMethod(classes, "ad/Fns", "rosenbrock", "([D)D"));
        Random random = new Random(13);
        int n = 50;
        double[] p = random.doubles(n, -2, 2).toArray();
        double[] v = random.doubles(n, -1, 1).toArray();
        double[] hv = new double[n];
        hvp.handle().invokeExact(p, v, hv, (double[]) null);
        double[] expected = jenzyme.runtime.testing.HessianVectorFixtures.rosenbrockHessianTimes(p, v);
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], hv[i], 1e-10 * (1 + Math.abs(expected[i])), "(Hv)[" + i + "]");
        }
        double[] first = hv.clone();
        hvp.handle().invokeExact(p, v, hv, (double[]) null);
        org.junit.jupiter.api.Assertions.assertArrayEquals(first, hv, 0.0, "a second call starts from zeroed accumulators");
    }
}
