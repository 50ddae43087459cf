package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stream pipelines lowered as loops: results bit-equal to the JVM's (DoubleStream.sum's compensated summation
 * included, on inputs where a plain sum differs), gradients in reverse and forward mode against central differences,
 * an empty optional raising the JVM's exception, and what stays refused.
 */
class StreamPipelinesTest {

    private static final String SOURCE = """
            package str;
            import java.util.Arrays;
            import java.util.stream.IntStream;
            public class Pipes {
                public static double sumSquares(double[] x) { return Arrays.stream(x).map(v -> v * v).sum(); }
                public static double dot(double[] x, double[] y) {
                    return IntStream.range(0, x.length).mapToDouble(i -> x[i] * y[i]).sum();
                }
                public static double softMax(double[] x, double t) {
                    double m = Arrays.stream(x).max().getAsDouble();
                    return m + t * Math.log(Arrays.stream(x).map(v -> Math.exp((v - m) / t)).sum());
                }
                public static double product(double[] x) { return Arrays.stream(x).reduce(1.0, (a, b) -> a * b); }
                public static double positiveMean(double[] x) {
                    return Arrays.stream(x).filter(v -> v > 0).average().orElse(-1);
                }
                public static double triangle(int n) {
                    return IntStream.rangeClosed(1, n).filter(i -> i % 3 != 0).asDoubleStream().sum()
                            + IntStream.range(0, n).map(i -> i * i).sum() + IntStream.range(0, n).count();
                }
                public static double minOfEmpty(double[] x) { return Arrays.stream(x).min().getAsDouble(); }
                public static double sorted(double[] x) { return Arrays.stream(x).sorted().sum(); }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("str.Pipes", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "str/Pipes", name, descriptor);
    }

    @Test
    void resultsAreTheJvmsBitForBitCompensatedSumIncluded() throws Throwable {
        Random random = new Random(11);
        // Magnitudes 1e-8..1e8 mixed: a plain left-to-right sum differs from the compensated one in the last bits.
        double[][] inputs = new double[30][];
        for (int t = 0; t < inputs.length; t++) {
            inputs[t] = random.doubles(1 + random.nextInt(40)).map(v -> (v - 0.3) * Math.pow(10, 16 * v - 8)).toArray();
        }
        boolean compensationMattered = false;
        try (NativeMethod sumSquares = pipeline.jit(method("sumSquares", "([D)D"));
                NativeMethod softMax = pipeline.jit(method("softMax", "([DD)D"));
                NativeMethod product = pipeline.jit(method("product", "([D)D"));
                NativeMethod mean = pipeline.jit(method("positiveMean", "([D)D"))) {
            for (double[] x : inputs) {
                double jvm = (double) classes.jvmHandle("str.Pipes", "sumSquares").invoke(x);
                assertEquals(jvm, (double) sumSquares.handle().invokeExact(x), 0.0);
                double plain = 0;
                for (double v : x) {
                    plain += v * v;
                }
                compensationMattered |= plain != jvm;
                double[] small = java.util.Arrays.stream(x).map(v -> v * 1e-8).toArray();
                assertEquals((double) classes.jvmHandle("str.Pipes", "softMax").invoke(small, 0.7),
                        (double) softMax.handle().invokeExact(small, 0.7), 0.0);
                assertEquals((double) classes.jvmHandle("str.Pipes", "product").invoke(small),
                        (double) product.handle().invokeExact(small), 0.0);
                assertEquals((double) classes.jvmHandle("str.Pipes", "positiveMean").invoke(x),
                        (double) mean.handle().invokeExact(x), 0.0);
            }
            assertEquals(-1.0, (double) mean.handle().invokeExact(new double[] {-1, -2}), 0.0);
        }
        assertTrue(compensationMattered, "the inputs should tell a compensated sum from a plain one");
        try (NativeMethod triangle = pipeline.jit(method("triangle", "(I)D"))) {
            for (int n : new int[] {0, 1, 7, 1000}) {
                assertEquals((double) classes.jvmHandle("str.Pipes", "triangle").invoke(n),
                        (double) triangle.handle().invokeExact(n), 0.0);
            }
        }
    }

    @Test
    void gradientsThroughPipelinesMatchCentralDifferences() throws Throwable {
        double[] x = {0.3, -1.2, 0.8, 2.1}, y = {1.5, 0.4, -0.7, 0.2};
        MethodHandle jvm = classes.jvmHandle("str.Pipes", "softMax");
        try (Derivative d = pipeline.differentiate(method("softMax", "([DD)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] dx = new double[4];
            double[] out = new double[d.convention().slots().size()];
            d.handle().invokeExact(x, dx, 0.5, out);
            for (int i = 0; i < 4; i++) {
                double[] up = x.clone(), down = x.clone();
                up[i] += 1e-6;
                down[i] -= 1e-6;
                double fd = ((double) jvm.invoke(up, 0.5) - (double) jvm.invoke(down, 0.5)) / 2e-6;
                assertEquals(fd, dx[i], 1e-6, "d/dx" + i);
            }
            double fd = ((double) jvm.invoke(x, 0.5 + 1e-6) - (double) jvm.invoke(x, 0.5 - 1e-6)) / 2e-6;
            assertEquals(fd, out[d.convention().adjointSlot(1)], 1e-6, "d/dt");
        }
        try (Derivative d = pipeline.differentiate(method("dot", "([D[D)D"), Mode.FORWARD, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] tx = {1, 0, 0, 2}, ty = {0, 1, 0, 0};
            double[] out = new double[d.convention().slots().size()];
            d.handle().invokeExact(x, tx, y, ty, out);
            assertEquals(1.5 + 2 * 0.2 - 1.2, out[d.convention().returnTangentSlot()], 1e-15);
        }
    }

    @Test
    void anEmptyOptionalRaisesTheJvmsExceptionAndOtherOperationsAreRefused() throws Throwable {
        try (NativeMethod min = pipeline.jit(method("minOfEmpty", "([D)D"))) {
            assertEquals(-3.0, (double) min.handle().invokeExact(new double[] {2, -3}), 0.0);
            NoSuchElementException empty = assertThrows(NoSuchElementException.class,
                    () -> { double unused = (double) min.handle().invokeExact(new double[0]); });
            assertEquals("No value present", empty.getMessage());
        }
        assertEquals(java.util.List.of(), pipeline.explain(method("softMax", "([DD)D")), "--explain: compiles");
        LoweringException sorted = assertThrows(LoweringException.class, () -> pipeline.jit(method("sorted", "([D)D")));
        assertTrue(sorted.getMessage().contains("DoubleStream.sorted() (compiled code lowers stream pipelines"),
                sorted.getMessage());
    }
}
