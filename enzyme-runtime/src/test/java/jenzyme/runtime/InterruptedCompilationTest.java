package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.Interruption;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A compilation asked to stop ({@link Interruption}, what a kernel interrupt of {@code %autodiff} does) stops inside
 * the lowering of a long method or before the Enzyme worker, and the same pipeline then compiles as before (qa6 R4).
 */
class InterruptedCompilationTest {

    private static final String SOURCE = """
            package stop;
            public class Stop {
                static double chain(double x) {
                    double a = x;
                    a = a * 0.5 + Math.sin(a);
                    a = a * 0.5 + Math.sin(a);
                    a = a * 0.5 + Math.sin(a);
                    a = a * 0.5 + Math.sin(a);
                    return a;
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("stop.Stop", SOURCE);
    }

    private static Derivative chainGradient() {
        return pipeline.differentiate(new JavaMethod(classes, "stop/Stop", "chain", "(D)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT);
    }

    private static boolean insideLowering() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getClassName().endsWith(
                "MethodLowering")));
    }

    @Test
    void aStopAskedForDuringTheLoweringEndsItAtTheNextSourceLine() {
        AtomicInteger polls = new AtomicInteger();
        Interruption.Interrupted stopped = assertThrows(Interruption.Interrupted.class,
                () -> Interruption.stoppable(() -> polls.incrementAndGet() >= 3, InterruptedCompilationTest::chainGradient));
        assertEquals("interrupted by the user", stopped.getMessage());
        assertEquals(3, polls.get(), "the third line's poll stops it");
        assertTrue(Arrays.stream(stopped.getStackTrace()).anyMatch(f -> f.getClassName().endsWith("MethodLowering")),
                "stopped inside the lowering, not after it");
    }

    @Test
    void aStopAskedForAfterTheLoweringEndsItBeforeTheWorkerAndThePipelineGoesOn() throws Throwable {
        // asked for at the first poll outside the lowering
        Interruption.Interrupted stopped = assertThrows(Interruption.Interrupted.class,
                () -> Interruption.stoppable(() -> !insideLowering(), InterruptedCompilationTest::chainGradient));
        assertTrue(Arrays.stream(stopped.getStackTrace()).anyMatch(f -> f.getClassName().equals(
                Pipeline.class.getName()) && f.getMethodName().equals("worker")), "stopped before the worker");
        try (Derivative gradient = Interruption.stoppable(() -> false, InterruptedCompilationTest::chainGradient)) {
            double[] out = new double[2];
            gradient.handle().invokeExact(0.7, out);
            double a = 0.7;
            double slope = 1;
            for (int i = 0; i < 4; i++) {
                slope *= 0.5 + Math.cos(a);
                a = a * 0.5 + Math.sin(a);
            }
            assertEquals(a, out[0], 1e-15);
            assertEquals(slope, out[1], 1e-14);
        }
    }
}
