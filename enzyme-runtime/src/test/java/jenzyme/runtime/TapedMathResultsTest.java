package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.Test;

/**
 * The reverse sweep reads the results of expensive math calls from the tape instead of calling the function again
 * (worker/src/kept_results.rs): Enzyme recomputed {@code atan(x[i])} and {@code tanh(x[i])} in the reverse loop,
 * which made ./bench's Transcendental gradient a third slower. Each now runs once per iteration, in the forward
 * sweep (the derivatives need neither function again: atan' = 1/(1+x²), tanh' = 1/cosh²), and the gradient is the
 * analytic one. (Enzyme's rules for exp, sqrt and sin/cos still call a function in the reverse sweep.)
 */
class TapedMathResultsTest {

    private static final String SOURCE = """
            package demo;
            public class Waves {
                public static double wave(double[] x) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) {
                        s += Math.atan(x[i]) * Math.tanh(x[i]);
                    }
                    return s;
                }
            }
            """;

    @Test
    void aReverseLoopCallsEachExpensiveFunctionOnceAndMatchesTheAnalyticGradient() throws Throwable {
        JavaMethod method = new JavaMethod(InMemoryJavac.compile("demo.Waves", SOURCE), "demo/Waves", "wave", "([D)D");
        try (Pipeline pipeline = Pipeline.create();
             Derivative wave = pipeline.differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             NativeMethod jitted = pipeline.jit(method)) {
            // The gradient calls each as often as the primal (%jit's module) does: once per copy of the loop (the
            // strip-mined one and the checked one), not once more in the reverse of each. The derivative's module
            // holds the gradient's wrapper alone (the worker drops the function it differentiated).
            String ir = wave.code().compiledIr();
            String primal = function(jitted.code().compiledIr(), "define double @");
            String gradient = function(ir, "define void @");
            assertEquals(-1, ir.indexOf("define double @"), ir);
            assertTrue(calls(primal, "@atan(") >= 1, primal);
            assertEquals(calls(primal, "@atan("), calls(gradient, "@atan("), ir);
            assertEquals(calls(primal, "@tanh("), calls(gradient, "@tanh("), ir);
            Random random = new Random(3);
            for (int n : new int[] {1, 7, 500}) {
                double[] x = random.doubles(n, -3, 3).toArray(), g = new double[n], out = new double[1];
                wave.handle().invokeExact(x, g, out);
                for (int i = 0; i < n; i++) {
                    double t = Math.tanh(x[i]);
                    double expected = t / (1 + x[i] * x[i]) + Math.atan(x[i]) * (1 - t * t);
                    assertEquals(expected, g[i], 1e-14 * (1 + Math.abs(expected)), "n=" + n + ", i=" + i);
                }
            }
        }
    }

    private static String function(String ir, String definition) {
        String from = ir.substring(ir.indexOf(definition));
        return from.substring(0, from.indexOf("\n}\n"));
    }

    private static int calls(String ir, String callee) {
        return ir.split(java.util.regex.Pattern.quote(callee), -1).length - 1;
    }
}
