package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.HessianVectorFixtures;
import jenzyme.runtime.testing.SettledAllocation;
import org.junit.jupiter.api.Test;

/**
 * The overwriting gradient ({@link Derivative#overwriting()}, {@code f_grad_set}) allocates nothing per call once the
 * JIT has compiled it, like the accumulating one: zeroing its shadows is {@link Arrays#fill} on the caller's arrays.
 * In a JVM of its own with C2's escape analysis off (enzyme-runtime's pom), as {@link HessianVectorAllocationTest}.
 * After the measured calls, which started from shadows full of NaN, the gradients equal the accumulating handle's
 * on zeroed shadows.
 */
class OverwritingGradientAllocationTest {

    @Test
    void overwritingGradientsAllocateNothing() throws Throwable {
        CompiledClasses classes = HessianVectorFixtures.compile();
        Random random = new Random(13);
        int n = 40; // 320 bytes an array: calls with less than 256 bytes of arrays always copy, which allocates
        try (Pipeline pipeline = Pipeline.create();
             Derivative rosenbrock = pipeline.reverse(new JavaMethod(classes, HessianVectorFixtures.CLASS,
                     "rosenbrock", "([D)D"), Map.of(), DifferentiationOptions.DEFAULT);
             Derivative scaled = pipeline.reverse(new JavaMethod(classes, HessianVectorFixtures.CLASS, "scaled",
                     "([DD[D)D"), Map.of("d", Activity.CONST), DifferentiationOptions.DEFAULT)) {
            double[] p = random.doubles(n, -2, 2).toArray(), dp = new double[n], out = new double[1];
            double[] w = random.doubles(n, -1, 1).toArray(), dw = new double[n], d = random.doubles(n, 0, 2).toArray();
            double c = 0.7;
            double[] outScaled = new double[2];
            Arrays.fill(dp, Double.NaN);
            Arrays.fill(dw, Double.NaN);
            MethodHandle first = rosenbrock.overwriting().orElseThrow(); // (p, dp, out)
            MethodHandle second = scaled.overwriting().orElseThrow(); // (w, dw, c, d, out)
            List<SettledAllocation.Call> calls = List.of(() -> { first.invokeExact(p, dp, out); },
                    () -> { second.invokeExact(w, dw, c, d, outScaled); });
            assertEquals(0, SettledAllocation.bytesPerRound(calls), "bytes per round of the two overwriting calls");

            double[] expected = new double[n], expectedOut = new double[1];
            rosenbrock.handle().invokeExact(p, expected, expectedOut);
            assertArrayEquals(expected, dp, 0, "Rosenbrock after thousands of overwriting calls");
            assertEquals(expectedOut[0], out[0], 0);
            double[] expectedW = new double[n], expectedScaled = new double[2];
            scaled.handle().invokeExact(w, expectedW, c, d, expectedScaled);
            assertArrayEquals(expectedW, dw, 0, "scaled: d/dw");
            assertArrayEquals(expectedScaled, outScaled, 0, "scaled: value and d/dc");
        }
    }
}
