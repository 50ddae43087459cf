package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.Test;

/**
 * A gradient's loop that carries a floating-point recurrence gets no unchecked copy (lower/LoopRecurrences: its
 * reverse never vectorises, and the copy doubled what Enzyme, O3 and the JIT compile), an accumulating loop keeps
 * it. Both stay exact: the recurrence against central differences on short and long trips (the copy's threshold is
 * 64 iterations), the accumulator against its analytic gradient.
 */
class RecurrenceLoopGradientTest {

    private static final String SOURCE = """
            package demo;
            public class Decay {
                public static double decay(double[] k, int steps) {
                    double y = 1;
                    for (int i = 0; i < steps; i++) {
                        y = y - 0.01 * k[i] * Math.cos(y);
                    }
                    return y;
                }
                public static double energy(double[] x) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) {
                        s += Math.cos(x[i]);
                    }
                    return s;
                }
            }
            """;

    @Test
    void aRecurrenceHasOneLoopCopyAndMatchesCentralDifferences() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Decay", SOURCE);
        var options = DifferentiationOptions.DEFAULT.withDumpIr(true);
        try (Pipeline pipeline = Pipeline.create();
             Derivative decay = pipeline.differentiate(new JavaMethod(classes, "demo/Decay", "decay", "([DI)D"),
                     Mode.REVERSE, Map.of(), options);
             Derivative energy = pipeline.differentiate(new JavaMethod(classes, "demo/Decay", "energy", "([D)D"),
                     Mode.REVERSE, Map.of(), options)) {
            assertEquals(1, cosCalls(decay.irBeforeEnzyme()), decay.irBeforeEnzyme());
            assertEquals(2, cosCalls(energy.irBeforeEnzyme()), energy.irBeforeEnzyme());
            Random random = new Random(5);
            for (int steps : new int[] {3, 200}) {
                double[] k = random.doubles(steps, 0, 2).toArray(), g = new double[steps], out = new double[1];
                decay.handle().invokeExact(k, g, steps, out);
                assertEquals(decay(k, steps), out[0], 0.0);
                for (int i = 0; i < steps; i++) {
                    double h = 1e-6, saved = k[i];
                    k[i] = saved + h;
                    double up = decay(k, steps);
                    k[i] = saved - h;
                    double down = decay(k, steps);
                    k[i] = saved;
                    assertEquals((up - down) / (2 * h), g[i], 1e-8, "steps=" + steps + ", i=" + i);
                }
            }
            for (int n : new int[] {5, 1000}) {
                double[] x = random.doubles(n, -3, 3).toArray(), g = new double[n], out = new double[1];
                energy.handle().invokeExact(x, g, out);
                for (int i = 0; i < n; i++) {
                    assertEquals(-Math.sin(x[i]), g[i], 1e-15, "n=" + n + ", i=" + i);
                }
            }
        }
    }

    private static double decay(double[] k, int steps) {
        double y = 1;
        for (int i = 0; i < steps; i++) {
            y = y - 0.01 * k[i] * Math.cos(y);
        }
        return y;
    }

    private static int cosCalls(String ir) {
        return (int) Pattern.compile("cos(\\.f64)?\\(double %").matcher(ir).results().count();
    }
}
