package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.bind.DerivativeBinder;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.HessianVectorFixtures;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Derivative#overwriting()}: the gradient written into the shadows ({@code f_grad_set}), whatever they held
 * before, equal to the accumulating handle's on zeroed shadows and to central differences of the JVM's method;
 * offered only where every shadow receives a gradient.
 */
class OverwritingGradientTest {

    private static final String SOURCE = """
            package ow;
            public class Fns {
                public static double cosWeights(double x, double[] a, int n) {
                    double s = x * x * x;
                    for (int i = 0; i < n; i++) s += a[i] * Math.cos(x + a[i]);
                    return s;
                }
                public static double weighted(double[] w, double[] xs, double c) {
                    double s = 0;
                    for (int i = 0; i < w.length; i++) s += Math.exp(c * w[i]) * xs[i] * xs[i];
                    return s;
                }
                public static float norm2(float[] v) {
                    float s = 0;
                    for (float e : v) s += e * e;
                    return s;
                }
                public static void scale(double[] in, double[] out, double c) {
                    for (int i = 0; i < in.length; i++) out[i] = c * in[i] * in[i];
                }
                public static double trace(double[][] m) {
                    double s = 0;
                    for (int i = 0; i < m.length; i++) s += m[i][i] * m[i][i];
                    return s;
                }
            }
            """;

    /** What a shadow may hold when the overwriting call begins: every entry must be replaced. */
    private static final double[] GARBAGE = {Double.NaN, 1e300, Double.NEGATIVE_INFINITY, -7.5, Double.MAX_VALUE};

    private static CompiledClasses classes;
    private static CompiledClasses fixtures;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void compile() {
        classes = InMemoryJavac.compile("ow.Fns", SOURCE);
        fixtures = HessianVectorFixtures.compile();
    }

    private static Derivative reverse(String name, String descriptor, Map<String, Activity> overrides,
                                      DifferentiationOptions options) {
        return pipeline.reverse(new JavaMethod(classes, "ow/Fns", name, descriptor), overrides, options);
    }

    private static Derivative rosenbrock(DifferentiationOptions options) {
        return pipeline.reverse(new JavaMethod(fixtures, HessianVectorFixtures.CLASS, "rosenbrock", "([D)D"), Map.of(),
                options);
    }

    private static double[] garbage(int length) {
        double[] shadow = new double[length];
        for (int i = 0; i < length; i++) {
            shadow[i] = GARBAGE[i % GARBAGE.length];
        }
        return shadow;
    }

    @Test
    void rosenbrockWritesTheGradientOverGarbageStrictAndFastMath() throws Throwable {
        MethodHandle jvm = fixtures.jvmHandle("hv.Hv", "rosenbrock");
        for (boolean fastMath : new boolean[] {false, true}) {
            try (Derivative d = rosenbrock(DifferentiationOptions.DEFAULT.withFastMath(fastMath))) {
                MethodHandle set = d.overwriting().orElseThrow();
                Random random = new Random(5);
                for (int trial = 0; trial < 20; trial++) {
                    double[] p = random.doubles(2 + random.nextInt(300), -2, 2).toArray();
                    double[] zeroed = new double[p.length], written = garbage(p.length);
                    double[] outAdded = new double[1], outSet = new double[1];
                    d.handle().invokeExact(p, zeroed, outAdded);
                    set.invokeExact(p, written, outSet);
                    String where = (fastMath ? "--fast-math" : "strict") + ", n = " + p.length;
                    assertEquals(outAdded[0], outSet[0], 0, "value, " + where);
                    assertArrayEquals(zeroed, written, 1e-12 * (1 + max(zeroed)), where);
                    double[] fd = CentralDifferences.gradient(x -> (double) jvm.invokeExact(x), p);
                    assertArrayEquals(fd, written, 1e-5 * (1 + max(fd)), "against central differences, " + where);
                }
            }
        }
    }

    /**
     * Rosenbrock under --fast-math is a stencil sum, whose gradient the worker writes itself: its overwriting wrapper
     * ({@code <symbol>_set}, PROTOCOL.md) is in the module, and bound alone (no zeroing before it) it replaces
     * garbage with central differences of the JVM's method. (FastMathStencilTest holds {@link Derivative#overwriting()}
     * to the accumulating wrapper there and finds the fused pass in the IR.)
     */
    @Test
    void aStencilSumUsesTheWorkersOverwritingWrapper() throws Throwable {
        MethodHandle jvm = fixtures.jvmHandle("hv.Hv", "rosenbrock");
        try (Derivative d = rosenbrock(DifferentiationOptions.DEFAULT.withFastMath(true))) {
            String written = d.wrapper().symbol() + "_set";
            assertTrue(d.code().exportedSymbols().contains(written), d.code().exportedSymbols().toString());
            MethodHandle workers = DerivativeBinder.bind(d.code().address(written), d.convention(),
                    new WrapperSignature(written, d.wrapper().parameters(), d.wrapper().slots()), d.code()::isLive);
            Random random = new Random(21);
            for (int n : new int[] {2, 3, 17, 1000, 4099}) {
                double[] p = random.doubles(n, -2, 2).toArray();
                double[] overwritten = garbage(n), out = new double[1];
                workers.invokeExact(p, overwritten, out);
                assertEquals((double) jvm.invokeExact(p), out[0], 1e-12 * Math.abs(out[0]), "value, n = " + n);
                double[] fd = CentralDifferences.gradient(x -> (double) jvm.invokeExact(x), p);
                assertArrayEquals(fd, overwritten, 1e-5 * (1 + max(fd)), "against central differences, n = " + n);
            }
        }
    }

    @Test
    void activeScalarsKeepTheirSlotsAndEveryArrayIsWritten() throws Throwable {
        try (Derivative d = reverse("weighted", "([D[DD)D", Map.of(), DifferentiationOptions.DEFAULT)) {
            MethodHandle set = d.overwriting().orElseThrow();
            MethodHandle jvm = classes.jvmHandle("ow.Fns", "weighted");
            Random random = new Random(9);
            for (int trial = 0; trial < 50; trial++) {
                int n = 1 + random.nextInt(40);
                double[] w = random.doubles(n, -1, 1).toArray(), xs = random.doubles(n, -2, 2).toArray();
                double c = random.nextGaussian();
                double[] dw = garbage(n), dxs = garbage(n), out = new double[2];
                set.invokeExact(w, dw, xs, dxs, c, out);
                double dc = 0;
                for (int i = 0; i < n; i++) {
                    double e = Math.exp(c * w[i]);
                    assertEquals(c * e * xs[i] * xs[i], dw[i], 1e-12 * (1 + Math.abs(dw[i])), "d/dw[" + i + "]");
                    assertEquals(2 * e * xs[i], dxs[i], 1e-12 * (1 + Math.abs(dxs[i])), "d/dxs[" + i + "]");
                    dc += w[i] * e * xs[i] * xs[i];
                }
                assertEquals((double) jvm.invokeExact(w, xs, c), out[0], 1e-12 * (1 + Math.abs(out[0])), "value");
                assertEquals(dc, out[1], 1e-12 * (1 + Math.abs(dc)), "d/dc");
            }
        }
    }

    @Test
    void aConstArrayIsLeftAloneAndAScalarPartialIsAsBefore() throws Throwable {
        try (Derivative d = reverse("cosWeights", "(D[DI)D", Map.of("a", Activity.CONST),
                DifferentiationOptions.DEFAULT);
             Derivative both = reverse("cosWeights", "(D[DI)D", Map.of(), DifferentiationOptions.DEFAULT)) {
            assertTrue(d.overwriting().isEmpty(), "no shadow, nothing to write: the accumulating handle is the call");
            MethodHandle set = both.overwriting().orElseThrow();
            double x = 0.7;
            double[] a = {0.5, -1.25, 2.0}, da = garbage(3), out = new double[2];
            set.invokeExact(x, a, da, a.length, out);
            double dx = 3 * x * x;
            for (int i = 0; i < a.length; i++) {
                assertEquals(Math.cos(x + a[i]) - a[i] * Math.sin(x + a[i]), da[i], 1e-13, "d/da[" + i + "]");
                dx -= a[i] * Math.sin(x + a[i]);
            }
            assertEquals(dx, out[1], 1e-13, "d/dx");
        }
    }

    @Test
    void floatShadowsAreWrittenToo() throws Throwable {
        try (Derivative d = reverse("norm2", "([F)F", Map.of(), DifferentiationOptions.DEFAULT)) {
            float[] v = {1.5f, -2f, 0.25f}, dv = {Float.NaN, 3e38f, -1f};
            double[] out = new double[1];
            d.overwriting().orElseThrow().invokeExact(v, dv, out);
            assertArrayEquals(new float[] {3f, -4f, 0.5f}, dv, 0f);
        }
    }

    @Test
    void entriesPastThePrimalsLengthAreLeftAsTheyWere() throws Throwable {
        try (Derivative d = rosenbrock(DifferentiationOptions.DEFAULT)) {
            double[] p = {0.5, -0.3, 1.1}, dp = {Double.NaN, Double.NaN, Double.NaN, 42, 43};
            d.overwriting().orElseThrow().invokeExact(p, dp, new double[1]);
            double[] expected = new double[3];
            d.handle().invokeExact(p, expected, new double[1]);
            assertArrayEquals(expected, Arrays.copyOf(dp, 3), 0);
            assertArrayEquals(new double[] {42, 43}, Arrays.copyOfRange(dp, 3, 5), 0);
        }
    }

    /** The argument checks run before any shadow is zeroed: a refused call changes no array. */
    @Test
    void aRefusedCallZeroesNothing() throws Throwable {
        try (Derivative d = reverse("weighted", "([D[DD)D", Map.of(), DifferentiationOptions.DEFAULT)) {
            MethodHandle set = d.overwriting().orElseThrow();
            double[] w = {1, 2, 3}, xs = {4, 5, 6}, dw = {7, 8, 9};
            var aliased = assertThrows(IllegalArgumentException.class,
                    () -> {
                        set.invokeExact(w, dw, xs, w, 0.5, new double[2]);
                    });
            assertTrue(aliased.getMessage().contains("xs"), aliased.getMessage());
            assertArrayEquals(new double[] {1, 2, 3}, w, 0, "w was passed as the shadow of xs");
            assertArrayEquals(new double[] {7, 8, 9}, dw, 0);
            var tooShort = assertThrows(IllegalArgumentException.class,
                    () -> {
                        set.invokeExact(w, dw, xs, new double[2], 0.5, new double[2]);
                    });
            assertTrue(tooShort.getMessage().contains("xs"), tooShort.getMessage());
            assertArrayEquals(new double[] {7, 8, 9}, dw, 0);
        }
    }

    /** A row table's shadow is written row by row: entries off the diagonal, which get no gradient, become zero. */
    @Test
    void aMatrixShadowIsWrittenWhole() throws Throwable {
        try (Derivative d = reverse("trace", "([[D)D", Map.of(), DifferentiationOptions.DEFAULT)) {
            double[][] m = {{1.5, 2, 3}, {4, -0.5, 6}, {7, 8, 2.5}};
            double[][] dm = {garbage(3), garbage(3), garbage(3)};
            double[] out = new double[1];
            d.overwriting().orElseThrow().invokeExact(m, dm, out);
            assertEquals(1.5 * 1.5 + 0.25 + 2.5 * 2.5, out[0], 1e-14);
            assertArrayEquals(new double[] {3, 0, 0}, dm[0], 0);
            assertArrayEquals(new double[] {0, -1, 0}, dm[1], 0);
            assertArrayEquals(new double[] {0, 0, 5}, dm[2], 0);
        }
    }

    /** Where a shadow is a seed (void outputs) or a tangent, there is no overwriting form. */
    @Test
    void notOfferedWhereAShadowIsNotAGradient() {
        try (Derivative outputs = reverse("scale", "([D[DD)V", Map.of(), DifferentiationOptions.DEFAULT);
             Derivative tangent = pipeline.forward(new JavaMethod(fixtures, HessianVectorFixtures.CLASS, "rosenbrock",
                     "([D)D"), Map.of(), DifferentiationOptions.DEFAULT)) {
            assertTrue(outputs.overwriting().isEmpty(), "void with outputs");
            assertTrue(tangent.overwriting().isEmpty(), "forward mode");
        }
    }

    private static double max(double[] values) {
        return Arrays.stream(values).map(Math::abs).max().orElse(0);
    }
}
