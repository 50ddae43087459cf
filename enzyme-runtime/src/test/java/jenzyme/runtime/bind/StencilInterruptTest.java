package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.InterruptTiming;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A long {@code --fast-math} gradient of a stencil sum, which runs the worker's fused pull loop (stencil.rs) instead of
 * Enzyme's sweeps, stops at an interrupt within the kernel's bound: the loop polls the flag every 4096 iterations.
 */
class StencilInterruptTest {

    private static final String SOURCE = """
            package demo;
            public class Slow {
                public static double waves(double[] x) {
                    double s = 0;
                    for (int i = 0; i + 1 < x.length; i++) {
                        s += Math.sin(x[i]) * Math.cos(x[i + 1]) + Math.log1p(x[i] * x[i + 1] * x[i + 1]);
                    }
                    return s;
                }
            }
            """;
    /** Elements: 160 MB per array, about a second per call here. */
    private static final int N = 20_000_000;

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeEach
    void clearFlag() {
        InterruptFlag.global().clear();
    }

    @Test
    void aLongFusedGradientStopsWithinTheBound() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Slow", SOURCE);
        JavaMethod method = new JavaMethod(classes, "demo/Slow", "waves", "([D)D");
        try (Derivative gradient = pipeline.differentiate(method, Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT.withFastMath(true).withDumpIr(true))) {
            assertTrue(gradient.irAfterEnzyme().contains(".stencil.add"), gradient.irBeforeEnzyme());
            MethodHandle call = gradient.handle();
            double[] x = new Random(5).doubles(N, 0, 1).toArray();
            double[] g = new double[N];
            long started = System.nanoTime();
            call.invokeExact(x, g, new double[1]);
            long wholeMs = (System.nanoTime() - started) / 1_000_000;
            for (long delay = wholeMs / 3; delay > wholeMs / 48; delay /= 2) {
                long raiseAt = delay;
                if (InterruptTiming.stopsWithinTheBound(() -> {
                    call.invokeExact(x, g, new double[1]);
                }, elapsedMs -> elapsedMs >= raiseAt, "a third into a " + wholeMs + " ms call (" + raiseAt + " ms)")) {
                    return;
                }
            }
            throw new AssertionError("the call always ended before the interrupt");
        }
    }
}
