package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.HessianVectorChecks;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.NativeMemoryProbe;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hessian-vector products of methods that allocate inside loops (issue 12's "allocation anywhere" in hvp mode): 1-D
 * arrays made in a time loop (literals and {@code new double[n]}), records made in a loop (one with an array
 * component, one of doubles), each against central differences of the reverse gradient along v and, for the linear
 * time stepper, against its analytic Hessian. Measured, these differentiate without Enzyme's runtime activity; the
 * matrices made in nested loops, which need it, are {@link NestedLoopMatricesTest}'s. Many products (some throwing
 * inside the loop after allocating) leave native memory flat.
 */
class HessianLoopAllocationTest {

    private static final String SOURCE = """
            package hl;
            public class Hl {
                static final double W = 1.3, H = 0.05;
                public record Point(double[] at, double w) {}
                public record Vec(double x, double y) {}
                /** Explicit Euler for x'' = -W^2 x from p = {x0, v0}: literal arrays each step, a linear map. */
                public static double linear(double[] p, int steps) {
                    double[] y = {p[0], p[1]};
                    for (int s = 0; s < steps; s++) {
                        double[] k = {y[1], -W * W * y[0]};
                        double[] z = {y[0] + H * k[0], y[1] + H * k[1]};
                        y = z;
                    }
                    return y[0] * y[0] + y[1] * y[1];
                }
                /** A fresh state of p's length each step; throws in a step past 1000, after allocating it. */
                public static double steps(double[] p, int steps) {
                    int n = p.length;
                    double[] y = p.clone();
                    for (int s = 0; s < steps; s++) {
                        double[] z = new double[n];
                        if (s == 1000) throw new IllegalStateException("more than 1000 steps");
                        for (int i = 0; i < n; i++) z[i] = y[i] + 0.1 * Math.sin(y[(i + 1) % n]) * y[i];
                        y = z;
                    }
                    double e = 0;
                    for (double v : y) e += v * v;
                    return e;
                }
                /**
                 * Implicit Euler for the pendulum x'' = -p[2] sin x from {p[0], p[1]}: each step's state a new 1-D
                 * array, relaxed towards the step's solution in place by a callee, three fixed-point iterations.
                 */
                public static double implicit(double[] p, int steps) {
                    double[] y = {p[0], p[1]};
                    for (int s = 0; s < steps; s++) {
                        double[] z = {y[0], y[1]};
                        for (int k = 0; k < 3; k++) relax(z, y, p[2]);
                        y = z;
                    }
                    return y[0] * y[0] + Math.sin(y[1]);
                }
                static void relax(double[] z, double[] y, double a) {
                    z[0] = y[0] + H * z[1];
                    z[1] = y[1] - H * a * Math.sin(z[0]);
                }
                /** Records made each step, one holding a new array; throws in a step past 1000. */
                public static double records(double[] p, int steps) {
                    int n = p.length;
                    double e = 0;
                    for (int s = 0; s < steps; s++) {
                        Point q = new Point(new double[] {p[0] * p[1], Math.exp(p[s % n])}, s + 1.0);
                        if (s == 1000) throw new IllegalStateException("more than 1000 steps");
                        Vec r = new Vec(q.at()[0] * q.w(), Math.cos(p[(s + 1) % n]));
                        e += r.x() * q.at()[1] + r.y() * r.y() * p[n - 1];
                    }
                    return e;
                }
            }
            """;

    private static final CompiledClasses classes = InMemoryJavac.compile("hl.Hl", SOURCE);
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    private static JavaMethod method(String name) {
        return new JavaMethod(classes, "hl/Hl", name, "([DI)D");
    }

    private static double[] hvp(Derivative hvp, double[] p, double[] v, int steps) throws Throwable {
        double[] hv = new double[p.length];
        hvp.handle().invoke(p.clone(), v, hv, steps, new double[hvp.convention().slots().size()]);
        return hv;
    }

    private static double[] gradient(Derivative reverse, double[] p, int steps) throws Throwable {
        double[] dp = new double[p.length];
        reverse.handle().invoke(p, dp, steps, new double[reverse.convention().slots().size()]);
        return dp;
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "implicit", "steps", "records"})
    void hvpAgreesWithDifferencesOfTheGradient(String name) throws Throwable {
        try (Derivative hvp = pipeline.hvp(method(name));
             Derivative reverse = pipeline.differentiate(method(name), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            Random random = new Random(name.hashCode());
            for (int trial = 0; trial < 8; trial++) {
                int n = switch (name) {
                    case "linear" -> 2;
                    case "implicit" -> 3;
                    default -> 2 + random.nextInt(5);
                }, steps = 1 + random.nextInt(12);
                double[] p = random.doubles(n, -1, 1).toArray(), v = random.doubles(n, -1, 1).toArray();
                HessianVectorChecks.assertAgreesWithDifferencesOfTheGradient(hvp(hvp, p, v, steps),
                        at -> gradient(reverse, at, steps), p, v, name + ", trial " + trial);
            }
        }
    }

    /** linear's value is |M^steps y0|² with M = [[1, H], [-H W², 1]]: its Hessian is 2 (M^steps)ᵀ M^steps. */
    @Test
    void theLinearStepperMatchesItsAnalyticHessian() throws Throwable {
        double w = 1.3, h = 0.05;
        try (Derivative hvp = pipeline.hvp(method("linear"))) {
            Random random = new Random(7);
            for (int steps = 0; steps <= 40; steps += 5) {
                double[][] power = {{1, 0}, {0, 1}};
                for (int s = 0; s < steps; s++) {
                    power = new double[][] {
                        {power[0][0] + h * power[1][0], power[0][1] + h * power[1][1]},
                        {-h * w * w * power[0][0] + power[1][0], -h * w * w * power[0][1] + power[1][1]}};
                }
                double[] p = random.doubles(2, -1, 1).toArray(), v = random.doubles(2, -1, 1).toArray();
                double[] hv = hvp(hvp, p, v, steps);
                for (int i = 0; i < 2; i++) {
                    double expected = 0;
                    for (int j = 0; j < 2; j++) {
                        double hessian = 2 * (power[0][i] * power[0][j] + power[1][i] * power[1][j]);
                        expected += hessian * v[j];
                    }
                    assertEquals(expected, hv[i], 1e-12 * (1 + Math.abs(expected)), steps + " steps, (H v)_" + i);
                }
            }
        }
    }

    /**
     * 2·10^5 products of 20 steps (each step's arrays and the gradient's tape of them made and freed), then 2·10^4
     * that throw in their 1001st step after allocating it: malloc's bytes in use stay within 16 MB (one step's
     * 5-element array leaked per step would add 160 MB), and the product still agrees with the differences.
     */
    @ParameterizedTest
    @ValueSource(strings = {"steps", "records"})
    void manyProductsLeaveNativeMemoryFlat(String name) throws Throwable {
        try (Derivative hvp = pipeline.hvp(method(name));
             Derivative reverse = pipeline.differentiate(method(name), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            double[] p = {0.4, -0.2, 0.9, 0.1, -0.6}, v = {1, -0.5, 0.25, 0, 2}, hv = new double[5];
            double[] out = new double[hvp.convention().slots().size()];
            MethodHandle handle = hvp.handle();
            long grown = NativeMemoryProbe.growth(() -> {
                handle.invokeExact(p, v, hv, 20, out); // void: as a statement, invokeExact's type
            }, 20_000, 200_000, () -> {
                handle.invokeExact(p, v, hv, 1_001, out);
            }, IllegalStateException.class, 20_000);
            System.out.println(name + ": malloc's bytes in use grew by " + grown + " over 2·10^5 hvp calls");
            assertTrue(grown < 16 << 20, name + ": malloc's bytes in use grew by " + grown);
            handle.invokeExact(p, v, hv, 20, out);
            HessianVectorChecks.assertAgreesWithDifferencesOfTheGradient(hv, at -> gradient(reverse, at, 20), p, v,
                    name);
        }
    }
}
