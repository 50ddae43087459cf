package jenzyme.runtime.tools;

import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Random;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.NativeMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;

/**
 * Not a test: a quick native-vs-JVM speed measurement on loop-heavy methods, for the numbers in reports. Run with
 * {@code java --enable-native-access=ALL-UNNAMED -cp <test classpath> jenzyme.runtime.tools.NativeSpeedCheck}.
 * Prints the median of 15 timed runs after 15 warm-up runs, for the JVM (C2) and both native bindings.
 */
public final class NativeSpeedCheck {

    private static final String SOURCE = """
            package speed;
            public class Loops {
                static double square(double x) { return x * x + 1; }
                static double dot(double[] a, double[] b) {
                    double s = 0;
                    for (int i = 0; i < a.length; i++) {
                        s += a[i] * b[i];
                    }
                    return s;
                }
                static int mandelbrot(int size, int maxIterations) {
                    int inside = 0;
                    for (int py = 0; py < size; py++) {
                        for (int px = 0; px < size; px++) {
                            double cr = 3.0 * px / size - 2.0, ci = 2.0 * py / size - 1.0;
                            double zr = 0, zi = 0;
                            int k = 0;
                            while (k < maxIterations && zr * zr + zi * zi <= 4) {
                                double t = zr * zr - zi * zi + cr;
                                zi = 2 * zr * zi + ci;
                                zr = t;
                                k++;
                            }
                            if (k == maxIterations) inside++;
                        }
                    }
                    return inside;
                }
                static void matmul(double[] a, double[] b, double[] c, int n) {
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int k = 0; k < n; k++) {
                                s += a[i * n + k] * b[k * n + j];
                            }
                            c[i * n + j] = s;
                        }
                    }
                }
            }
            """;

    private interface Run {
        void run() throws Throwable;
    }

    public static void main(String[] args) throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("speed.Loops", SOURCE);
        try (Pipeline pipeline = Pipeline.create()) {
            Random random = new Random(1);
            double[] a = random.doubles(1_000_000).toArray();
            double[] b = random.doubles(1_000_000).toArray();
            compare(classes, pipeline, "dot", "([D[D)D", "dot product, 1e6 doubles", h -> {
                double unused = (double) h.invokeExact(a, b);
            });
            compare(classes, pipeline, "mandelbrot", "(II)I", "mandelbrot 300x300, 200 iterations", h -> {
                int unused = (int) h.invokeExact(300, 200);
            });
            compare(classes, pipeline, "square", "(D)D", "1e6 calls of x*x+1 (call overhead)", h -> {
                double s = 0;
                for (int i = 0; i < 1_000_000; i++) {
                    s += (double) h.invokeExact((double) i);
                }
            });
            int n = 200;
            double[] x = random.doubles(n * n).toArray();
            double[] y = random.doubles(n * n).toArray();
            double[] z = new double[n * n];
            compare(classes, pipeline, "matmul", "([D[D[DI)V", "matmul 200x200 (flattened arrays)", h -> {
                h.invokeExact(x, y, z, n);
            });
        }
    }

    private interface Call {
        void call(MethodHandle handle) throws Throwable;
    }

    private static void compare(CompiledClasses classes, Pipeline pipeline, String method, String descriptor,
                                String label, Call call) throws Throwable {
        MethodHandle jvm = classes.jvmHandle("speed.Loops", method);
        NativeMethod compiled = pipeline.jit(new JavaMethod(classes, "speed/Loops", method, descriptor));
        double jvmMs = medianMillis(() -> call.call(jvm));
        double criticalMs = medianMillis(() -> call.call(compiled.handle()));
        double copyingMs = medianMillis(() -> call.call(compiled.copyingHandle()));
        System.out.printf("%-40s JVM %8.3f ms | native critical %8.3f ms (%.2fx) | native copying %8.3f ms (%.2fx)%n",
                label, jvmMs, criticalMs, jvmMs / criticalMs, copyingMs, jvmMs / copyingMs);
    }

    private static double medianMillis(Run run) throws Throwable {
        for (int i = 0; i < 15; i++) {
            run.run();
        }
        double[] times = new double[15];
        for (int i = 0; i < times.length; i++) {
            long start = System.nanoTime();
            run.run();
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(times);
        return times[times.length / 2];
    }
}
