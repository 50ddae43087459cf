package jenzyme.runtime.testing;

import java.lang.invoke.MethodHandle;

/**
 * Loops the worker splits under {@code --fast-math} (loop_fission.rs, loop_fission/precompute.rs), as {@code demo.Loops}:
 * ./bench's Transcendental loop ({@code composite}: its sum mapped over the stored states, its forcing precomputed), a
 * damped oscillator summed through the counter ({@code oscillator}: the whole sum mapped), a forced recurrence reading
 * an array ({@code forced}) and a driven oscillator ({@code driven}: its driving force precomputed).
 */
public final class SplitLoops {

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
                public static double forced(double[] f, double w, int n) {
                    double x = 1, s = 0;
                    for (int k = 0; k < n; k++) {
                        x += 0.01 * (f[k] * Math.cos(w * k * 0.01) - x);
                        s += x * x;
                    }
                    return s;
                }
                public static double driven(double a, double omega, double damping, int n) {
                    double x = a, v = 0, s = 0;
                    for (int k = 0; k < n; k++) {
                        v += 0.01 * (Math.sin(omega * k * 0.01) * Math.exp(-0.001 * k) - x - damping * v);
                        x += 0.01 * v;
                        s += x * x;
                    }
                    return s;
                }
            }
            """;

    private SplitLoops() {}

    public static CompiledClasses compile() {
        return InMemoryJavac.compile("demo.Loops", SOURCE);
    }

    /**
     * The partials of {@code jvm}, one of the {@code (double, double, double, int n)} methods on the JVM, with respect
     * to its three doubles at {@code p}, by central differences.
     */
    public static double[] partials(MethodHandle jvm, double[] p, int n) throws Throwable {
        double[] partials = new double[3];
        for (int i = 0; i < 3; i++) {
            int component = i;
            partials[i] = CentralDifferences.derivative(v -> {
                double[] q = p.clone();
                q[component] = v;
                return (double) jvm.invokeExact(q[0], q[1], q[2], n);
            }, p[i]);
        }
        return partials;
    }
}
