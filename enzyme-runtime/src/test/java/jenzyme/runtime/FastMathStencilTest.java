package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.LaplacianFixture;
import jenzyme.runtime.testing.RosenbrockFixture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --fast-math} reverse gradients of stencil sums run the worker's fused pull loop (stencil.rs): the value and
 * every element's gradient in one pass, Enzyme's derivative only where the loop would fail or is shorter than the
 * stencil. Rosenbrock (./bench's loop), a squared three-point Laplacian with a const scalar, and a loop whose bound
 * is a parameter, so that its bounds checks fail: values against the JVM, gradients against the strict (Enzyme's)
 * gradient on every element and against central differences of the JVM method on the edges and inside, n from 0 to
 * 10^5; the failing call throws the JVM's exception.
 */
class FastMathStencilTest {

    private static final String SOURCE = """
            package demo;
            public class Stencils {
                %s
                %s
                public static double steps(double[] x, int n) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        double d = x[i + 1] - x[i];
                        s += d * d * d;
                    }
                    return s;
                }
            }
            """.formatted(RosenbrockFixture.METHOD, LaplacianFixture.METHOD);
    private static final DifferentiationOptions FAST = DifferentiationOptions.DEFAULT.withFastMath(true).withDumpIr(true);
    private static final int[] SIZES = {0, 1, 2, 3, 63, 64, 65, 4097, 100_000};

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static CompiledClasses classes;

    @BeforeAll
    static void compile() {
        classes = InMemoryJavac.compile("demo.Stencils", SOURCE);
    }

    /** The fast and the strict gradient of one method, the fast one checked to be the fused pull loop. */
    private record Gradients(Derivative fast, Derivative strict) implements AutoCloseable {
        static Gradients of(String name, String descriptor, Map<String, Activity> activities) {
            JavaMethod method = new JavaMethod(classes, "demo/Stencils", name, descriptor);
            Derivative fast = pipeline.differentiate(method, Mode.REVERSE, activities, FAST);
            Derivative strict = pipeline.differentiate(method, Mode.REVERSE, activities, DifferentiationOptions.DEFAULT);
            assertTrue(fast.irAfterEnzyme().contains(".stencil.add"), name + " is not fused:\n" + fast.irBeforeEnzyme());
            return new Gradients(fast, strict);
        }

        @Override
        public void close() {
            fast.close();
            strict.close();
        }
    }

    @FunctionalInterface
    private interface Call {
        void run(MethodHandle gradient, double[] x, double[] g, double[] out) throws Throwable;
    }

    @FunctionalInterface
    private interface Value {
        double at(double[] x) throws Throwable;
    }

    /**
     * Value against the JVM within n ε Σ|terms| (any summation order), gradient against the strict one on every
     * element (the shadow starts nonzero: both add to it), and against central differences of the JVM method at the
     * edges and inside, on a window of x around the element (the whole sum's rounding would drown the difference).
     */
    private static void check(Gradients gradients, Call call, Value jvm, Value magnitude, String what) throws Throwable {
        for (int n : SIZES) {
            double[] x = new Random(n + 17).doubles(n, -2, 2).toArray();
            double[] start = new Random(n + 5).doubles(n, -1, 1).toArray();
            double[] gFast = start.clone(), gStrict = start.clone();
            double[] outFast = new double[1], outStrict = new double[1];
            call.run(gradients.fast.handle(), x, gFast, outFast);
            call.run(gradients.strict.handle(), x, gStrict, outStrict);
            String at = what + " n=" + n;
            assertEquals(jvm.at(x), outFast[0], (n + 16) * Math.ulp(1.0) * magnitude.at(x), at + " value");
            for (int j = 0; j < n; j++) {
                double scale = Math.max(1, Math.abs(gStrict[j] - start[j]));
                assertEquals(gStrict[j], gFast[j], 1e-12 * scale, at + " g[" + j + "] against strict");
            }
            for (int j : new int[] {0, 1, 2, n / 2, n - 3, n - 2, n - 1}) {
                if (j < 0 || j >= n) {
                    continue;
                }
                int lo = Math.max(0, j - 4), hi = Math.min(n, j + 5);
                double[] window = Arrays.copyOfRange(x, lo, hi);
                double h = 1e-6 * Math.max(1, Math.abs(x[j]));
                window[j - lo] = x[j] + h;
                double up = jvm.at(window);
                window[j - lo] = x[j] - h;
                double down = jvm.at(window);
                double central = (up - down) / (2 * h);
                assertEquals(central, gFast[j] - start[j], 1e-5 * Math.max(1, Math.abs(central)), at + " g[" + j + "] against central differences");
            }
        }
    }

    @Test
    void rosenbrockIsOnePassAndAgreesWithTheJvmAndEnzyme() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("demo.Stencils", "rosen");
        try (Gradients gradients = Gradients.of("rosen", "([D)D", Map.of())) {
            // the scale of its rounding: Σ|terms| (the value: every term is non-negative) and 1 per term
            check(gradients, (gradient, x, g, out) -> {
                gradient.invokeExact(x, g, out);
            },
                    x -> (double) jvm.invokeExact(x), x -> (double) jvm.invokeExact(x) + Math.max(0, x.length - 1),
                    "rosen");
        }
    }

    @Test
    void aLaplacianWithAConstScalarIsOnePassAndAgreesWithTheJvmAndEnzyme() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("demo.Stencils", "laplace");
        double a = 0.75;
        try (Gradients gradients = Gradients.of("laplace", "([DD)D", Map.of("a", Activity.CONST))) {
            check(gradients, (gradient, x, g, out) -> {
                gradient.invokeExact(x, g, a, out);
            },
                    x -> (double) jvm.invokeExact(x, a), x -> LaplacianFixture.terms(x, a), "laplace");
        }
    }

    /** The Laplacian's scalar active: its adjoint, summed in the fused pass, against Enzyme's and central differences. */
    @Test
    void anActiveScalarsAdjointIsSummedInTheSamePass() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("demo.Stencils", "laplace");
        double a = -1.25;
        try (Gradients gradients = Gradients.of("laplace", "([DD)D", Map.of())) {
            for (int n : SIZES) {
                double[] x = new Random(n + 41).doubles(n, -2, 2).toArray();
                double[] outFast = new double[2], outStrict = new double[2];
                gradients.fast.handle().invokeExact(x, new double[n], a, outFast);
                gradients.strict.handle().invokeExact(x, new double[n], a, outStrict);
                double h = 1e-6;
                double central = ((double) jvm.invokeExact(x, a + h) - (double) jvm.invokeExact(x, a - h)) / (2 * h);
                assertEquals(outStrict[1], outFast[1], (n + 16) * Math.ulp(1.0) * LaplacianFixture.terms(x, 1), "n=" + n);
                assertEquals(central, outFast[1], 1e-6 * Math.max(1, Math.abs(central)), "n=" + n + " central");
            }
        }
    }

    @Test
    void aLoopThatWouldFailABoundsCheckThrowsTheJvmsExceptionAndShorterOnesAgree() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("demo.Stencils", "steps");
        try (Gradients gradients = Gradients.of("steps", "([DI)D", Map.of())) {
            double[] x = new Random(3).doubles(300, -2, 2).toArray();
            for (int n : new int[] {0, 1, 2, 3, 64, 65, 299}) {
                double[] gFast = new double[x.length], gStrict = new double[x.length];
                double[] outFast = new double[1], outStrict = new double[1];
                gradients.fast.handle().invokeExact(x, gFast, n, outFast);
                gradients.strict.handle().invokeExact(x, gStrict, n, outStrict);
                assertEquals((double) jvm.invokeExact(x, n), outFast[0], 1e-12 * (1 + Math.abs(outStrict[0])), "n=" + n);
                for (int j = 0; j < x.length; j++) {
                    assertEquals(gStrict[j], gFast[j], 1e-12 * Math.max(1, Math.abs(gStrict[j])), "n=" + n + " g[" + j + "]");
                }
            }
            // n = 300 reads x[300]: the entry test sends the call to Enzyme's derivative, which fails the check.
            assertThrows(ArrayIndexOutOfBoundsException.class, () -> {
                double ignored = (double) jvm.invokeExact(x, 300);
            });
            assertThrows(ArrayIndexOutOfBoundsException.class, () -> {
                gradients.fast.handle().invokeExact(x, new double[x.length], 300, new double[1]);
            });
        }
    }

    /**
     * With {@code overwrite}, the worker's overwriting wrapper (PROTOCOL.md) writes the whole shadow where the stencil
     * reaches every element (Rosenbrock, the Laplacian): over NaN, it leaves what the accumulating wrapper adds to
     * zeros. A loop bounded by a parameter may leave elements out: no such wrapper, the binding zeroes instead.
     */
    @Test
    void theOverwritingWrapperWritesEveryElementWhereTheStencilCoversTheArray() throws Throwable {
        double a = 0.75;
        Call rosen = (gradient, x, g, out) -> {
            gradient.invokeExact(x, g, out);
        };
        Call laplace = (gradient, x, g, out) -> {
            gradient.invokeExact(x, g, a, out);
        };
        Call steps = (gradient, x, g, out) -> {
            gradient.invokeExact(x, g, x.length / 2, out);
        };
        assertOverwrites("rosen", "([D)D", Map.of(), rosen, true);
        assertOverwrites("laplace", "([DD)D", Map.of("a", Activity.CONST), laplace, true);
        assertOverwrites("steps", "([DI)D", Map.of(), steps, false);
    }

    private static void assertOverwrites(String name, String descriptor, Map<String, Activity> activities, Call call,
                                         boolean byTheWorker) throws Throwable {
        JavaMethod method = new JavaMethod(classes, "demo/Stencils", name, descriptor);
        try (Derivative fast = pipeline.differentiate(method, Mode.REVERSE, activities, FAST.withOverwrite(true))) {
            assertEquals(byTheWorker, fast.irAfterEnzyme().contains(".stencil.set"), name + ":\n" + fast.irAfterEnzyme());
            MethodHandle written = fast.overwriting().orElseThrow();
            for (int n : SIZES) {
                double[] x = new Random(n + 29).doubles(n, -2, 2).toArray();
                double[] added = new double[n], set = new double[n];
                Arrays.fill(set, Double.NaN);
                double[] outAdded = new double[1], outSet = new double[1];
                call.run(fast.handle(), x, added, outAdded);
                call.run(written, x, set, outSet);
                assertEquals(outAdded[0], outSet[0], 1e-12 * Math.max(1, Math.abs(outAdded[0])), name + " n=" + n);
                for (int j = 0; j < n; j++) {
                    assertEquals(added[j], set[j], 1e-12 * Math.max(1, Math.abs(added[j])), name + " n=" + n + " g[" + j + "]");
                }
            }
        }
    }

}
