package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A loop inside a loop whose reverse sweep needs each inner iteration's values: Enzyme caches them per outer
 * iteration in a block it grows with realloc, and the worker must not let O3 store into the block a realloc freed
 * (the worker's {@code cache_slots}). Before that fix d/dh came out 2e152 or a few percent off (FD 382), and an inner
 * loop of 2 (one allocation) was right; so inner loops of 2, 3 and 5 trips, and the Heun SIR step of the corpus.
 */
class NestedLoopGradientTest {

    private static final String SOURCE = """
            package nested;
            public class Loops {
                public static double two(double t1, double c) {
                    double[] y = {0.99, c};
                    double h = 4 * t1 / 50;
                    for (int i = 0; i < 50; i++) {
                        for (int j = 0; j < 2; j++) y[j] = y[j] + h * y[j];
                    }
                    return y[0] + y[1];
                }
                public static double three(double t1, double c) {
                    double[] y = {0.99, 0.01, c};
                    double h = 4 * t1 / 50;
                    for (int i = 0; i < 50; i++) {
                        for (int j = 0; j < 3; j++) y[j] = y[j] + h * y[j];
                    }
                    return y[0] + y[2];
                }
                public static double five(double t1, double c) {
                    double[] y = {0.99, 0.01, c, 0.5, 0.2};
                    double h = 4 * t1 / 50;
                    for (int i = 0; i < 50; i++) {
                        for (int j = 0; j < 5; j++) y[j] = y[j] + h * y[j] * Math.sin(y[j]);
                    }
                    return y[0] + y[2] + y[4];
                }
                static double[] sir(double[] y, double beta, double gamma) {
                    double infection = beta * y[0] * y[1];
                    return new double[] {-infection, infection - gamma * y[1], gamma * y[1]};
                }
                public static double heun(double beta, double gamma, double t1) {
                    double[] y = {0.99, 0.01, 0};
                    double h = 4 * t1 / 50;
                    for (int i = 0; i < 50; i++) {
                        double[] k1 = sir(y, beta, gamma);
                        double[] predicted = new double[3];
                        for (int j = 0; j < 3; j++) predicted[j] = y[j] + h * k1[j];
                        double[] k2 = sir(predicted, beta, gamma);
                        for (int j = 0; j < 3; j++) y[j] += h / 2 * (k1[j] + k2[j]);
                    }
                    return y[2];
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("nested.Loops", SOURCE);
    }

    @Test
    void innerLoopsOfTwoThreeAndFiveTripsGiveTheGradientOfTheirLoopInvariantStep() throws Throwable {
        for (String name : new String[] {"two", "three", "five"}) {
            JavaMethod method = new JavaMethod(classes, "nested/Loops", name, "(DD)D");
            MethodHandle jvm = classes.jvmHandle("nested.Loops", name);
            try (Derivative reverse = pipeline.differentiate(method, Mode.REVERSE, Map.of(),
                    DifferentiationOptions.DEFAULT);
                 Derivative forward = pipeline.differentiate(method, Mode.FORWARD, Map.of(),
                         DifferentiationOptions.DEFAULT)) {
                double t1 = 0.7, c = 0.2;
                double[] out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(t1, c, out);
                double dt = central(x -> (double) jvm.invoke(x, c), t1);
                double dc = central(x -> (double) jvm.invoke(t1, x), c);
                assertEquals((double) jvm.invoke(t1, c), out[0], 1e-12, name + " value");
                assertEquals(dt, out[1], 1e-6 * (1 + Math.abs(dt)), name + " reverse d/dt1");
                assertEquals(dc, out[2], 1e-6 * (1 + Math.abs(dc)), name + " reverse d/dc");
                double[] tangent = new double[forward.convention().slots().size()];
                forward.handle().invoke(t1, 1.0, c, 0.0, tangent);
                assertEquals(out[1], tangent[forward.convention().returnTangentSlot()], 1e-9 * (1 + Math.abs(dt)),
                        name + " forward d/dt1");
            }
        }
    }

    @Test
    void heunStepsOfAnSirModelGiveTheGradientOfEveryParameter() throws Throwable {
        JavaMethod method = new JavaMethod(classes, "nested/Loops", "heun", "(DDD)D");
        MethodHandle jvm = classes.jvmHandle("nested.Loops", "heun");
        try (Derivative reverse = pipeline.differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT)) {
            double[] p = {0.9, 0.3, 1.1};
            double[] out = new double[reverse.convention().slots().size()];
            reverse.handle().invoke(p[0], p[1], p[2], out);
            for (int k = 0; k < 3; k++) {
                int at = k;
                double fd = central(x -> {
                    double[] q = p.clone();
                    q[at] = x;
                    return (double) jvm.invoke(q[0], q[1], q[2]);
                }, p[k]);
                assertEquals(fd, out[1 + k], 1e-6 * (1 + Math.abs(fd)), "reverse d/dp" + k);
            }
        }
    }

    private interface Function {
        double at(double x) throws Throwable;
    }

    private static double central(Function f, double x) throws Throwable {
        return (f.at(x + 1e-6) - f.at(x - 1e-6)) / 2e-6;
    }
}
