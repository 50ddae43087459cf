package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.NativeMemoryProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --fast-math} gradients split a row loop whose per-row scalar feeds vectorisable maths (the worker's
 * loop_fission.rs): ./bench's logistic regression, softplus with its branch, differentiated strict and fast. The fast
 * gradient maps exp/log1p over a scratch buffer of the rows' margins, within docs/DERIVATIVES.md's tolerance of the
 * strict one, and frees the buffer on every call, also when the row loop fails.
 */
class FastMathFissionTest {

    private static final String SOURCE = """
            package demo;
            public class Fit {
                public static double logreg(double[] w, double[] X, double[] y, int n, int d) {
                    double total = 0;
                    for (int i = 0; i < n; i++) {
                        double z = w[d];
                        for (int j = 0; j < d; j++) {
                            z += X[i * d + j] * w[j];
                        }
                        double t = -y[i] * z;
                        total += t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
                    }
                    double penalty = 0;
                    for (int j = 0; j < d; j++) {
                        penalty += w[j] * w[j];
                    }
                    return total / n + 0.5e-3 * penalty;
                }
            }
            """;
    private static final Map<String, Activity> DATA = Map.of("X", Activity.CONST, "y", Activity.CONST);
    private static final DifferentiationOptions FAST = DifferentiationOptions.DEFAULT.withFastMath(true);
    private static final double EPS = Math.ulp(1.0);

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static Derivative strict;
    private static Derivative fast;

    @BeforeAll
    static void compile() {
        CompiledClasses classes = InMemoryJavac.compile("demo.Fit", SOURCE);
        JavaMethod logreg = new JavaMethod(classes, "demo/Fit", "logreg", "([D[D[DII)D");
        strict = pipeline.differentiate(logreg, Mode.REVERSE, DATA, DifferentiationOptions.DEFAULT.withDumpIr(true));
        fast = pipeline.differentiate(logreg, Mode.REVERSE, DATA, FAST.withDumpIr(true));
    }

    @AfterAll
    static void stop() {
        strict.close();
        fast.close();
    }

    private record Problem(double[] w, double[] X, double[] y, int n, int d) {
        static Problem random(Random random, int n, int d) {
            double[] X = random.doubles((long) n * d).map(v -> 4 * v - 2).toArray();
            double[] y = random.ints(n, 0, 2).mapToDouble(b -> 2 * b - 1).toArray();
            return new Problem(random.doubles(d + 1, -1.5, 1.5).toArray(), X, y, n, d);
        }

        double z(int i) {
            double z = w[d];
            for (int j = 0; j < d; j++) {
                z += X[i * d + j] * w[j];
            }
            return z;
        }
    }

    /** Value then gradient, from one call. */
    private static double[] gradient(Derivative derivative, Problem p) throws Throwable {
        double[] dw = new double[p.w.length];
        double[] out = new double[1];
        derivative.handle().invokeExact(p.w, dw, p.X, p.y, p.n, p.d, out);
        double[] all = new double[dw.length + 1];
        all[0] = out[0];
        System.arraycopy(dw, 0, all, 1, dw.length);
        return all;
    }

    @Test
    void theFastGradientMapsTheMathsOverTheRowsWithinTheToleranceOfTheStrictOne() throws Throwable {
        assertTrue(fast.irBeforeEnzyme().contains("fission.map:"), fast.irBeforeEnzyme());
        assertFalse(strict.irBeforeEnzyme().contains("fission"), "strict code is not split");
        // One exp and one log1p per row: the branch's two pairs of calls merged, as 4- or 2-lane libmvec calls.
        assertTrue(Pattern.compile("call [^\\n]*@_ZGV[bd]N[24]v_exp\\(").matcher(fast.code().compiledIr()).find(),
                "the map calls libmvec's exp");
        Random random = new Random(11);
        int[][] shapes = {{1, 1}, {2, 3}, {7, 1}, {33, 5}, {64, 4}, {301, 8}, {1000, 3}, {4099, 2}};
        for (int trial = 0; trial < 40; trial++) {
            int[] shape = shapes[trial % shapes.length];
            Problem p = Problem.random(random, shape[0], shape[1]);
            double[] s = gradient(strict, p), f = gradient(fast, p);
            // The loss sums n positive terms (any order: n eps of their sum), each term from libmvec's exp/log1p
            // (4 ulp each) of a margin whose d-term dot product may be reassociated (d eps of its magnitude).
            double terms = 0, margins = 0;
            double[] feature = new double[p.d + 1];
            for (int i = 0; i < p.n; i++) {
                double z = p.z(i), magnitude = Math.abs(p.w[p.d]);
                for (int j = 0; j < p.d; j++) {
                    magnitude += Math.abs(p.X[i * p.d + j] * p.w[j]);
                    feature[j] += Math.abs(p.X[i * p.d + j]) * (1 + magnitude);
                }
                feature[p.d] += 1 + magnitude;
                terms += Math.abs(z) + 1;
                margins += magnitude;
            }
            double valueBound = ((p.n + 16) * terms + (p.d + 1) * margins) * EPS / p.n;
            assertEquals(s[0], f[0], valueBound, "value, trial " + trial);
            for (int j = 0; j <= p.d; j++) {
                double bound = (p.n + p.d + 16) * EPS * feature[j] / p.n + 4 * EPS * Math.abs(p.w[j]);
                assertEquals(s[j + 1], f[j + 1], bound, "dw[" + j + "], trial " + trial);
            }
        }
    }

    @Test
    void theScratchBufferIsFreedAfterEveryCallAndEveryFailure() throws Throwable {
        Problem p = Problem.random(new Random(12), 4096, 2); // a 32 KB buffer per call
        Problem failing = new Problem(p.w, p.X, java.util.Arrays.copyOf(p.y, 4000), 4096, 2); // fails at row 4000
        for (int i = 0; i < 200; i++) { // both paths warm: HotSpot compiles them before the windows
            gradient(fast, p);
            assertThrows(ArrayIndexOutOfBoundsException.class, () -> gradient(fast, failing));
        }
        long grown = NativeMemoryProbe.leastGrowth(2, () -> {
            for (int i = 0; i < 10_000; i++) {
                gradient(fast, p);
            }
            for (int i = 0; i < 1_000; i++) {
                assertThrows(ArrayIndexOutOfBoundsException.class, () -> gradient(fast, failing));
            }
        });
        // Leaking one buffer per call would grow each window by 328 MB, or by 33 MB for the failing calls alone. A
        // single window's bound of 8 MB failed under load (the JVM's compilers malloc ~10 MB either way).
        assertTrue(grown < 16 << 20, "malloc in use grew by " + grown + " bytes in each of two windows");
    }
}
