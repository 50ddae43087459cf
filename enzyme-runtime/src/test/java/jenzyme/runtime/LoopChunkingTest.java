package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.RosenbrockFixture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Strip-mined and versioned loops (lower/LoopShapes, ChunkedLoop, LoopVersion) keep the JVM's results bit for bit
 * and its exceptions at the JVM's iteration: across chunk boundaries (10^4 iterations, chunks of at most 4096), in
 * the unchecked copy and the checked one (an index leaving its array in the middle of the range, after stores the
 * JVM made), with an invariant offset, and with a counter bound near Integer.MAX_VALUE. The vector code they exist
 * for is checked in the optimised IR. Gradients, strict and --fast-math, strip-mine only long trips
 * (LoopPolling.CHUNKED_WHEN_LONG): they are checked against the analytic one on both sides of the threshold, and
 * their exceptions against the JVM's.
 */
class LoopChunkingTest {

    private static final String SOURCE = """
            package demo;
            public class Loops {
                public static double dot(double[] a, double[] b, int n, int off) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        s += a[i + off] * b[i];
                    }
                    return s;
                }
                public static void scale(double[] a, double[] out, int n, double k) {
                    for (int j = 0; j <= n; j++) {
                        out[j] = k * a[j];
                    }
                }
                public static double rows(double[] X, double[] w, int n, int d) {
                    double total = 0;
                    for (int i = 0; i < n; i++) {
                        double z = 0;
                        for (int j = 0; j < d; j++) {
                            z += X[i * d + j] * w[j];
                        }
                        total += z * z;
                    }
                    return total;
                }
                %s
                public static int nearMax(int[] a, int from) {
                    int s = 0;
                    for (int i = from; i + 2 < Integer.MAX_VALUE; i++) {
                        s += a[i - from];
                    }
                    return s;
                }
            }
            """.formatted(RosenbrockFixture.METHOD);

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static CompiledClasses classes;

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("demo.Loops", SOURCE);
    }

    private static Object jvm(String name, Object... args) throws Throwable {
        Method method = Arrays.stream(classes.load("demo.Loops").getMethods())
                .filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
        try {
            return method.invoke(null, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static MethodHandle jit(String name, String descriptor) {
        return pipeline.jit(new JavaMethod(classes, "demo/Loops", name, descriptor)).handle();
    }

    @Test
    void reductionsMatchTheJvmAcrossChunksAndThrowAtTheJvmsIndex() throws Throwable {
        MethodHandle dot = jit("dot", "([D[DII)D");
        double[] a = new Random(1).doubles(10_003).toArray(), b = new Random(2).doubles(10_000).toArray();
        for (int[] nOff : new int[][] {{10_000, 0}, {10_000, 3}, {5, 2}, {0, 0}}) {
            double expected = (double) jvm("dot", a, b, nOff[0], nOff[1]);
            assertEquals(expected, (double) dot.invokeExact(a, b, nOff[0], nOff[1]), 0.0, Arrays.toString(nOff));
        }
        for (int[] nOff : new int[][] {{10_000, 4}, {10_001, 0}, {3, -1}}) {
            Throwable expected = assertThrows(ArrayIndexOutOfBoundsException.class, () -> jvm("dot", a, b, nOff[0], nOff[1]));
            Throwable actual = assertThrows(ArrayIndexOutOfBoundsException.class,
                    () -> { double unused = (double) dot.invokeExact(a, b, nOff[0], nOff[1]); });
            assertEquals(expected.getMessage(), actual.getMessage(), Arrays.toString(nOff));
        }
    }

    @Test
    void storesBeforeTheFailingIterationAreMadeAsOnTheJvm() throws Throwable {
        MethodHandle scale = jit("scale", "([D[DID)V");
        double[] a = new Random(3).doubles(9000).toArray();
        double[] jvmOut = new double[9000], nativeOut = new double[9000];
        jvm("scale", a, jvmOut, 8999, 1.5);
        scale.invokeExact(a, nativeOut, 8999, 1.5);
        assertArrayEquals(jvmOut, nativeOut, 0.0);
        double[] jvmShort = new double[8000], nativeShort = new double[8000];
        Throwable expected = assertThrows(ArrayIndexOutOfBoundsException.class, () -> jvm("scale", a, jvmShort, 8999, 1.5));
        Throwable actual = assertThrows(ArrayIndexOutOfBoundsException.class, () -> {
            scale.invokeExact(a, nativeShort, 8999, 1.5);
        });
        assertEquals(expected.getMessage(), actual.getMessage());
        assertArrayEquals(jvmShort, nativeShort, 0.0, "every element before index 8000 written, as on the JVM");
    }

    @Test
    void nestedLoopsWithAnInvariantRowOffsetMatchTheJvm() throws Throwable {
        MethodHandle rows = jit("rows", "([D[DII)D");
        double[] x = new Random(4).doubles(640).toArray(), w = new Random(5).doubles(32).toArray();
        assertEquals((double) jvm("rows", x, w, 20, 32), (double) rows.invokeExact(x, w, 20, 32), 0.0);
        Throwable expected = assertThrows(ArrayIndexOutOfBoundsException.class, () -> jvm("rows", x, w, 21, 32));
        Throwable actual = assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> { double unused = (double) rows.invokeExact(x, w, 21, 32); });
        assertEquals(expected.getMessage(), actual.getMessage());
    }

    @Test
    void aCounterBoundNearIntegerMaxValueThrowsLikeTheJvm() throws Throwable {
        MethodHandle nearMax = jit("nearMax", "([II)I");
        int[] a = new int[5];
        Arrays.fill(a, 1);
        assertEquals((int) jvm("nearMax", a, Integer.MAX_VALUE - 6), (int) nearMax.invokeExact(a, Integer.MAX_VALUE - 6));
        Throwable expected = assertThrows(ArrayIndexOutOfBoundsException.class, () -> jvm("nearMax", a, Integer.MAX_VALUE - 8));
        Throwable actual = assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> { int unused = (int) nearMax.invokeExact(a, Integer.MAX_VALUE - 8); });
        assertEquals(expected.getMessage(), actual.getMessage());
    }

    private static Derivative gradient(String name, String descriptor, boolean fastMath) {
        return pipeline.differentiate(new JavaMethod(classes, "demo/Loops", name, descriptor), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT.withFastMath(fastMath));
    }

    /**
     * 9 and 63 iterations run in the per-iteration copy, 64 and 9999 strip-mined (chunks of 1024): strict and
     * --fast-math gradients alike. The reverse of a strip-mined loop has one entry and no poll inside (failures
     * unwind: UnwindingFailures; the worker polls the chunk loop only), so it vectorises in strict mode too.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void gradientsOfShortAndLongLoopsMatchTheAnalyticGradientAndVectorise(boolean fastMath) throws Throwable {
        try (Derivative rosen = gradient("rosen", "([D)D", fastMath)) {
            assertTrue(Pattern.compile("<\\d+ x double>").matcher(rosen.code().compiledIr()).find());
            for (int n : new int[] {10, 64, 65, 10_000}) {
                double[] x = new Random(n).doubles(n, -1.5, 1.5).toArray(), g = new double[n], out = new double[1];
                rosen.handle().invokeExact(x, g, out);
                double[] expected = new double[n];
                double magnitude = 0;
                for (int i = 0; i + 1 < n; i++) {
                    double u = x[i + 1] - x[i] * x[i], v = 1 - x[i];
                    expected[i] += -400 * x[i] * u - 2 * v;
                    expected[i + 1] += 200 * u;
                    magnitude += 100 * u * u + v * v;
                }
                double value = (double) jvm("rosen", (Object) x);
                assertEquals(value, out[0], fastMath ? n * Math.ulp(1.0) * magnitude : 0.0, "n=" + n);
                for (int i = 0; i < n; i++) {
                    assertEquals(expected[i], g[i], 1e-12 * (1 + Math.abs(expected[i])), "n=" + n + ", i=" + i);
                }
            }
        }
    }

    /**
     * The inner loop of {@code rows} runs a trip of at most one chunk (4096) in its unchecked copy, any other in its
     * checked copy (LoopShape.oneChunk): d = 5 runs unchecked, d = 5000 checked, and with an X one element short the
     * last row runs checked and throws where the JVM does.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void gradientsOfNestedLoopsMatchTheAnalyticGradientAndThrowAtTheJvmsIndex(boolean fastMath) throws Throwable {
        try (Derivative rows = gradient("rows", "([D[DII)D", fastMath)) {
            for (int d : new int[] {5, 5000}) {
                int n = 7;
                Random random = new Random(d);
                double[] x = random.doubles(n * d, -1, 1).toArray(), w = random.doubles(d, -1, 1).toArray();
                double[] dx = new double[x.length], dw = new double[d], out = new double[1];
                rows.handle().invokeExact(x, dx, w, dw, n, d, out);
                double[] ex = new double[x.length], ew = new double[d];
                for (int i = 0; i < n; i++) {
                    double z = 0;
                    for (int j = 0; j < d; j++) {
                        z += x[i * d + j] * w[j];
                    }
                    for (int j = 0; j < d; j++) {
                        ew[j] += 2 * z * x[i * d + j];
                        ex[i * d + j] = 2 * z * w[j];
                    }
                }
                // --fast-math may sum z's d products in any order: off by up to d·ε·Σ|x w| (3e-9 at d = 5000).
                double tolerance = fastMath ? 1e-8 : 1e-12;
                double value = (double) jvm("rows", x, w, n, d);
                assertEquals(value, out[0], fastMath ? tolerance * Math.abs(value) : 0.0, "d=" + d);
                for (int j = 0; j < d; j++) {
                    assertEquals(ew[j], dw[j], tolerance * (1 + Math.abs(ew[j])), "d=" + d + ", j=" + j);
                }
                for (int k = 0; k < x.length; k++) {
                    assertEquals(ex[k], dx[k], tolerance * (1 + Math.abs(ex[k])), "d=" + d + ", k=" + k);
                }
                // The JVM's own message is not asked for again: thrown often from C2-compiled code, HotSpot throws
                // a preallocated exception without one, and nestedLoopsWithAnInvariantRowOffsetMatchTheJvm got that.
                double[] shortX = Arrays.copyOf(x, x.length - 1);
                Throwable actual = assertThrows(ArrayIndexOutOfBoundsException.class,
                        () -> { rows.handle().invokeExact(shortX, new double[shortX.length], w, new double[d], n, d,
                                out); });
                assertEquals("Index " + shortX.length + " out of bounds for length " + shortX.length,
                        actual.getMessage());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aStripMinedGradientThrowsAtTheJvmsIndex(boolean fastMath) throws Throwable {
        double[] a = new Random(7).doubles(10_003).toArray(), b = new Random(8).doubles(10_000).toArray();
        Throwable expected = assertThrows(ArrayIndexOutOfBoundsException.class, () -> jvm("dot", a, b, 10_000, 4));
        try (Derivative dot = gradient("dot", "([D[DII)D", fastMath)) {
            double[] da = new double[a.length], db = new double[b.length], out = new double[1];
            Throwable actual = assertThrows(ArrayIndexOutOfBoundsException.class,
                    () -> { dot.handle().invokeExact(a, da, b, db, 10_000, 4, out); });
            assertEquals(expected.getMessage(), actual.getMessage());
            double[] ga = new double[a.length], gb = new double[b.length];
            dot.handle().invokeExact(a, ga, b, gb, 10_000, 3, out);
            assertEquals(0.0, ga[0] + ga[1] + ga[2], 0.0);
            for (int i = 0; i < b.length; i++) {
                assertEquals(b[i], ga[i + 3], 0.0);
                assertEquals(a[i + 3], gb[i], 0.0);
            }
        }
    }

    @Test
    void fastMathReductionsAndStrictElementwiseLoopsCompileToVectorCode() {
        Pattern vector = Pattern.compile("<\\d+ x double>");
        NativeMethod fast = pipeline.jit(new JavaMethod(classes, "demo/Loops", "rows", "([D[DII)D"),
                DifferentiationOptions.DEFAULT.withFastMath(true));
        assertTrue(vector.matcher(fast.code().compiledIr()).find(), fast.code().compiledIr());
        NativeMethod strict = pipeline.jit(new JavaMethod(classes, "demo/Loops", "scale", "([D[DID)V"));
        assertTrue(vector.matcher(strict.code().compiledIr()).find(), strict.code().compiledIr());
    }
}
