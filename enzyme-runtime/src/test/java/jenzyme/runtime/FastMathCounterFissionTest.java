package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --fast-math} loop fission of a sum whose maths reads a carried recurrence and the loop counter (the worker's
 * loop_fission.rs): ./bench's Transcendental loop ({@code log1p(x*x) + sqrt(1 + b*b*t) * atan(x)} with
 * {@code t = k * STEP}, while {@code t} also feeds the recurrence's {@code sin}) and a damped oscillator summed
 * through {@code exp(-h k) * log1p(x*x)}. The sum's maths moves to a map loop over the stored states, counted by its
 * own counter; the gradients agree with the strict ones and with central differences of the JVM method.
 */
class FastMathCounterFissionTest {

    private static final String SOURCE = """
            package demo;
            public class Loops {
                public static final double STEP = 1e-3;
                public static double composite(double a, double b, double c, int n) {
                    double x = a, s = 0;
                    for (int k = 0; k < n; k++) {
                        double t = k * STEP;
                        x = x + STEP * (Math.sin(b * x + t) - c * Math.tanh(x) + Math.cos(a * t) * Math.exp(-c * t));
                        s += Math.log1p(x * x) + Math.sqrt(1 + b * b * t) * Math.atan(x);
                    }
                    return s;
                }
                public static double oscillator(double a, double w, double damping, int n) {
                    double x = a, v = 0, s = 0;
                    for (int k = 0; k < n; k++) {
                        v -= 0.01 * (w * x + damping * v);
                        x += 0.01 * v;
                        s += Math.exp(-0.001 * k) * Math.log1p(x * x);
                    }
                    return s;
                }
            }
            """;
    private static final DifferentiationOptions FAST = DifferentiationOptions.DEFAULT.withFastMath(true);
    private static final double EPS = Math.ulp(1.0);

    private static Pipeline pipeline;
    private static CompiledClasses classes;

    @BeforeAll
    static void compile() {
        pipeline = Pipeline.create();
        classes = InMemoryJavac.compile("demo.Loops", SOURCE);
    }

    @AfterAll
    static void stop() {
        pipeline.close();
    }

    @Test
    void theTranscendentalLoopMapsItsSumOverTheStoredStates() throws Throwable {
        check("composite", new double[][] {{0.7, 1.3, 0.4}, {-1.1, 0.6, 1.5}});
    }

    @Test
    void anOscillatorSummedThroughTheCounterMapsItsSumToo() throws Throwable {
        check("oscillator", new double[][] {{1.2, 2.5, 0.3}, {-0.4, 9.0, 1.1}});
    }

    private static void check(String name, double[][] points) throws Throwable {
        JavaMethod method = new JavaMethod(classes, "demo/Loops", name, "(DDDI)D");
        MethodHandle jvm = classes.jvmHandle("demo.Loops", name);
        try (Derivative strict = pipeline.differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative fast = pipeline.differentiate(method, Mode.REVERSE, Map.of(), FAST.withDumpIr(true))) {
            assertTrue(fast.irBeforeEnzyme().contains("fission.map:"), fast.irBeforeEnzyme());
            assertFalse(strict.irBeforeEnzyme().contains("fission"), "strict code is not split");
            for (int n : new int[] {0, 1, 2, 5, 63, 64, 1000, 4099, 10_000}) {
                for (double[] p : points) {
                    double[] s = gradient(strict, p, n), f = gradient(fast, p, n);
                    // Any summation order of n terms (n eps), libmvec's 4 ulp per term, the recurrence's contractions.
                    for (int i = 0; i < 4; i++) {
                        assertEquals(s[i], f[i], (n + 16) * EPS * (1 + Math.abs(s[i])), name + " n=" + n + " slot " + i);
                    }
                    for (int i = 0; i < 3; i++) {
                        int component = i;
                        double fd = CentralDifferences.derivative(v -> {
                            double[] q = p.clone();
                            q[component] = v;
                            return (double) jvm.invokeExact(q[0], q[1], q[2], n);
                        }, p[i]);
                        // Truncation (h^2 f''': the oscillator's d/dw over 100 time units reaches 4e-7) and rounding of
                        // the two values over 2h.
                        double bound = 1e-6 * (1 + Math.abs(fd)) + 8 * EPS * Math.abs(s[0]) / CentralDifferences.STEP;
                        assertEquals(fd, f[i + 1], bound, name + " n=" + n + " d/dp" + i + " against central differences");
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
