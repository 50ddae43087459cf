package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.NativeMemoryProbe;

/**
 * The check the integrator tests share: a loss {@code f(double[] p, double t1, second)} of a Lotka-Volterra problem
 * (p: three rates and the two initial values; second an {@code int} step count or a {@code double} tolerance),
 * compiled three ways. On random p: the native primal equals the JVM's bit for bit, the reverse gradient (p and t1)
 * agrees with central differences of the JVM's method, and each forward tangent with the reverse partial.
 */
final class OdeLossAgreement {

    private OdeLossAgreement() {
    }

    static void check(Pipeline pipeline, CompiledClasses classes, String className, String name, Object second)
            throws Throwable {
        String descriptor = second instanceof Integer ? "([DDI)D" : "([DDD)D";
        JavaMethod method = new JavaMethod(classes, className.replace('.', '/'), name, descriptor);
        MethodHandle jvm = classes.jvmHandle(className, name);
        Random random = new Random(12);
        try (NativeMethod primal = pipeline.jit(method);
             Derivative reverse = pipeline.differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method, Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT)) {
            for (int trial = 0; trial < 5; trial++) {
                double[] p = {0.8 + 0.4 * random.nextDouble(), 0.3 + 0.2 * random.nextDouble(),
                        0.6 + 0.2 * random.nextDouble(), 0.8 + 0.4 * random.nextDouble(), 0.4 + 0.2 * random.nextDouble()};
                double expected = (double) jvm.invoke(p, 2.0, second);
                assertEquals(expected, (double) primal.handle().invoke(p, 2.0, second), 0, name + " primal");
                double[] dp = new double[5], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(p, dp, 2.0, second, out);
                double fdT = ((double) jvm.invoke(p, 2.0 + 1e-6, second) - (double) jvm.invoke(p, 2.0 - 1e-6, second))
                        / 2e-6; // t1 scales every step: its adjoint needs each step's stage arrays in the reverse sweep
                assertEquals(fdT, out[1], 1e-6 * (1 + Math.abs(fdT)), name + " reverse d/dt1");
                double[] tangent = new double[forward.convention().slots().size()];
                for (int k = 0; k < 5; k++) {
                    double[] up = p.clone(), down = p.clone();
                    up[k] += 1e-6;
                    down[k] -= 1e-6;
                    double fd = ((double) jvm.invoke(up, 2.0, second) - (double) jvm.invoke(down, 2.0, second)) / 2e-6;
                    assertEquals(fd, dp[k], 1e-6 * (1 + Math.abs(fd)), name + " reverse d/dp" + k);
                    double[] direction = new double[5];
                    direction[k] = 1;
                    if (second instanceof Double) { // a double takes its tangent too
                        forward.handle().invoke(p, direction, 2.0, 0.0, second, 0.0, tangent);
                    } else {
                        forward.handle().invoke(p, direction, 2.0, 0.0, second, tangent);
                    }
                    assertEquals(dp[k], tangent[forward.convention().returnTangentSlot()], 1e-9 * (1 + Math.abs(fd)),
                            name + " forward d/dp" + k);
                }
            }
        }
    }

    /**
     * 10^6 reverse gradients of {@code loss} over {@code steps} steps and 10^5 calls of {@code outOfRange(double[],
     * int)}, which fail inside their loop after allocating: every array handed over must be freed either way, so
     * glibc's bytes in use stay within 16 MB (leaking one 16-byte array per call would add 32 MB).
     */
    static void memoryStaysFlat(Pipeline pipeline, CompiledClasses classes, String owner, String loss, int steps)
            throws Throwable {
        double[] p = {1.1, 0.4, 0.7, 1.0, 0.5};
        try (Derivative reverse = pipeline.differentiate(new JavaMethod(classes, owner, loss, "([DDI)D"), Mode.REVERSE,
                Map.of(), DifferentiationOptions.DEFAULT);
             NativeMethod failing = pipeline.jit(new JavaMethod(classes, owner, "outOfRange", "([DI)D"))) {
            double[] dp = new double[5], out = new double[reverse.convention().slots().size()];
            MethodHandle gradient = reverse.handle(), fails = failing.handle();
            long grown = NativeMemoryProbe.growth(() -> {
                gradient.invokeExact(p, dp, 1.0, steps, out); // void: as a statement, invokeExact's type
            }, 100_000, 1_000_000,
                    () -> {
                        double ignored = (double) fails.invokeExact(p, 5);
                    }, ArrayIndexOutOfBoundsException.class, 100_000);
            assertTrue(dp[0] != 0);
            assertTrue(grown < 16 << 20, "malloc's bytes in use grew by " + grown + " over 10^6 gradients");
        }
    }
}
