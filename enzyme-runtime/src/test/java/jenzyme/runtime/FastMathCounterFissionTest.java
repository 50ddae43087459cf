package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.NativeMemoryProbe;
import jenzyme.runtime.testing.SplitLoops;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * {@code --fast-math} loop fission with the loop counter (the worker's loop_fission.rs and loop_fission/precompute.rs):
 * ./bench's Transcendental loop (its sum {@code log1p(x*x) + sqrt(1 + b*b*t) * atan(x)} with {@code t = k * STEP}
 * moves to a map loop over the stored states; its forcing {@code cos(a*t) * exp(-c*t)}, a function of the counter
 * alone, is computed for every iteration before the loop), a damped oscillator summed through
 * {@code exp(-h k) * log1p(x*x)} (the whole sum to the map) and a driven one (the driving force precomputed). The
 * gradients agree with the strict ones and with central differences of the JVM method.
 */
class FastMathCounterFissionTest {

    private static final DifferentiationOptions FAST = DifferentiationOptions.DEFAULT.withFastMath(true);
    private static final double EPS = Math.ulp(1.0);
    /** The map loop of the sum's maths, and the loop computing counter-only maths before the loop. */
    private static final String MAP = "fission.map:", PRECOMPUTED = "fission.pre:";

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static final CompiledClasses classes = SplitLoops.compile();

    @Test
    void theTranscendentalLoopMapsItsSumOverTheStoredStatesAndPrecomputesItsForcing() throws Throwable {
        check("composite", List.of(MAP, PRECOMPUTED), new double[][] {{0.7, 1.3, 0.4}, {-1.1, 0.6, 1.5}});
    }

    @Test
    void anOscillatorSummedThroughTheCounterMapsItsWholeSum() throws Throwable {
        // exp(-0.001 k) reads the counter alone, but it is part of the sum's maths: it moves with log1p to the map.
        check("oscillator", List.of(MAP), new double[][] {{1.2, 2.5, 0.3}, {-0.4, 9.0, 1.1}});
    }

    @Test
    void aDrivenOscillatorPrecomputesItsDrivingForce() throws Throwable {
        check("driven", List.of(PRECOMPUTED), new double[][] {{1.2, 2.5, 0.3}, {-0.4, 0.7, 1.1}});
    }

    @Test
    void thePrecomputedBufferIsFreedAfterEveryCallAndEveryFailure() throws Throwable {
        JavaMethod method = new JavaMethod(classes, "demo/Loops", "forced", "([DDI)D");
        MethodHandle jvm = classes.jvmHandle("demo.Loops", "forced");
        try (Derivative fast = pipeline.differentiate(method, Mode.REVERSE, Map.of(), FAST.withDumpIr(true))) {
            assertTrue(fast.irBeforeEnzyme().contains(PRECOMPUTED), fast.irBeforeEnzyme());
            int n = 4096; // a 32 KB buffer per call
            double[] f = new Random(5).doubles(n, -1, 1).toArray(), df = new double[n], out = new double[2];
            double w = 0.8;
            fast.handle().invokeExact(f, df, w, n, out);
            double dw = CentralDifferences.derivative(v -> (double) jvm.invokeExact(f, v, n), w);
            assertEquals(dw, out[1], 1e-6 * (1 + Math.abs(dw)), "d/dw against central differences");
            double[] fd = CentralDifferences.gradient(g -> (double) jvm.invokeExact(g, w, n), f);
            for (int k = 0; k < n; k += 97) {
                assertEquals(fd[k], df[k], 1e-6 * (1 + Math.abs(fd[k])), "d/df[" + k + "]");
            }
            double[] shorter = java.util.Arrays.copyOf(f, 4000); // fails at iteration 4000, the buffer filled
            // Both paths warmed up first, so that HotSpot compiles the failing one before the count starts.
            for (int i = 0; i < 200; i++) {
                fast.handle().invokeExact(f, df, w, n, out);
                assertThrows(ArrayIndexOutOfBoundsException.class, () -> {
                    fast.handle().invokeExact(shorter, df, w, n, out);
                });
            }
            long before = NativeMemoryProbe.mallocInUse();
            for (int i = 0; i < 20_000; i++) {
                fast.handle().invokeExact(f, df, w, n, out);
            }
            for (int i = 0; i < 2_000; i++) {
                assertThrows(ArrayIndexOutOfBoundsException.class, () -> {
                    fast.handle().invokeExact(shorter, df, w, n, out);
                });
            }
            long grown = NativeMemoryProbe.mallocInUse() - before;
            // Leaking the buffer and its shadow would be 1.3 GB and 131 MB. The JVM's own mallocs move the figure by
            // about 10 MB either way (+10.5 MB in the whole module's run, -10 MB alone).
            assertTrue(grown < 64 << 20, "malloc in use grew by " + grown + " bytes");
        }
    }

    private static void check(String name, List<String> loops, double[][] points) throws Throwable {
        JavaMethod method = new JavaMethod(classes, "demo/Loops", name, "(DDDI)D");
        MethodHandle jvm = classes.jvmHandle("demo.Loops", name);
        try (Derivative strict = pipeline.differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative fast = pipeline.differentiate(method, Mode.REVERSE, Map.of(), FAST.withDumpIr(true))) {
            String split = fast.irBeforeEnzyme();
            for (String loop : List.of(MAP, PRECOMPUTED)) {
                assertEquals(loops.contains(loop), split.contains(loop), loop + " in\n" + split);
            }
            assertFalse(strict.irBeforeEnzyme().contains("fission"), "strict code is not split");
            for (int n : new int[] {0, 1, 2, 5, 63, 64, 1000, 4099, 10_000}) {
                for (double[] p : points) {
                    double[] s = gradient(strict, p, n), f = gradient(fast, p, n);
                    // Any summation order of n terms (n eps), libmvec's 4 ulp per term, the recurrence's contractions.
                    for (int i = 0; i < 4; i++) {
                        assertEquals(s[i], f[i], (n + 16) * EPS * (1 + Math.abs(s[i])), name + " n=" + n + " slot " + i);
                    }
                    double[] fd = SplitLoops.partials(jvm, p, n);
                    for (int i = 0; i < 3; i++) {
                        // Truncation (h^2 f''': the oscillator's d/dw over 100 time units reaches 4e-7) and rounding of
                        // the two values over 2h.
                        double bound = 1e-6 * (1 + Math.abs(fd[i])) + 8 * EPS * Math.abs(s[0]) / CentralDifferences.STEP;
                        assertEquals(fd[i], f[i + 1], bound, name + " n=" + n + " d/dp" + i + " against central differences");
                    }
                }
            }
        }
    }

    /** Value, then the three partials, from one call. */
    private static double[] gradient(Derivative derivative, double[] p, int n) throws Throwable {
        double[] out = new double[4];
        derivative.handle().invokeExact(p[0], p[1], p[2], n, out);
        return out;
    }
}
