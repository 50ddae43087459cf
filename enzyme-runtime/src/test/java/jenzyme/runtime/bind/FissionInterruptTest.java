package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.jit.NativeMemory;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InterruptTiming;
import jenzyme.runtime.testing.SplitLoops;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Long {@code --fast-math} gradients whose loop the worker split (loop_fission.rs) stop at an interrupt like every other
 * loop: the precomputing loop (a driven oscillator's force, computed for every step before the first polled one),
 * the map loop (a damped oscillator's sum), their reverses and Enzyme's zeroing of the buffers' shadows all poll
 * (loop_fission/chunks.rs, zeroing_polls.rs). Before, at 10^8 steps, such a call went on for 1-6 s after the
 * interrupt (load 8); the kernel gives a thread up after 250 ms.
 */
class FissionInterruptTest {

    /** Steps of the long calls: 400 MB per buffer, a few seconds per call here; the shadow's zeroing alone ~1 s. */
    private static final int STEPS = 50_000_000;

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static final CompiledClasses classes = SplitLoops.compile();

    @BeforeEach
    void clearFlag() {
        InterruptFlag.global().clear();
    }

    @Test
    void aGradientWithAPrecomputedForceStopsInEveryPhase() throws Throwable {
        assertStopsInEveryPhase("driven", "fission.pre:");
    }

    @Test
    void aGradientWithAMappedSumStopsInEveryPhase() throws Throwable {
        assertStopsInEveryPhase("oscillator", "fission.map:");
    }

    /**
     * Raises the flag once the call holds its first buffer (the shadow's zeroing or the precomputing loop runs), then a
     * one, two and three fifths into an uninterrupted call's time (the loops): each call stops within
     * the bound, frees what it allocated, and a short call afterwards agrees with central differences.
     */
    private static void assertStopsInEveryPhase(String name, String splitLoop) throws Throwable {
        JavaMethod method = new JavaMethod(classes, "demo/Loops", name, "(DDDI)D");
        try (Derivative gradient = pipeline.differentiate(method, Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT.withFastMath(true).withDumpIr(true))) {
            assertTrue(gradient.irBeforeEnzyme().contains(splitLoop), "the loop was not split:\n" + gradient.irBeforeEnzyme());
            MethodHandle call = gradient.handle();
            double[] out = new double[4];
            long before = NativeMemory.inUse();
            long wholeMs = Long.MAX_VALUE; // the faster of two calls: the first one touches its memory first
            for (int run = 0; run < 2; run++) {
                long started = System.nanoTime();
                call.invokeExact(1.2, 2.5, 0.3, STEPS, out);
                wholeMs = Math.min(wholeMs, (System.nanoTime() - started) / 1_000_000);
            }
            assertEquals(before, NativeMemory.inUse());
            long buffer = 8L * STEPS;
            assertTrue(stopsWithinTheBound(call, elapsedMs -> NativeMemory.inUse() - before >= buffer,
                    name + ", its first buffer allocated"), name + ": the call ended before it allocated its buffer");
            for (int fifths = 1; fifths <= 3; fifths++) {
                assertStopsAfter(call, fifths * wholeMs / 5, name + ", " + fifths + "/5 into the call");
            }
            InterruptTiming.assertNativeMemoryBackTo(before);

            MethodHandle jvm = classes.jvmHandle("demo.Loops", name);
            double a = 1.2, w = 2.5, damping = 0.3;
            int n = 9000; // three chunks of the split loops, the last one short
            call.invokeExact(a, w, damping, n, out);
            double[] expected = SplitLoops.partials(jvm, new double[] {a, w, damping}, n);
            for (int k = 0; k < 3; k++) {
                assertEquals(expected[k], out[k + 1], 1e-6 * (1 + Math.abs(expected[k])), name + " partial " + k);
            }
        }
    }

    /**
     * Raises the flag {@code delayMs} after the call starts; when the call was faster than that (a loaded machine's
     * calls vary by more than 2x), again after half the delay, up to four times.
     */
    private static void assertStopsAfter(MethodHandle call, long delayMs, String when) throws Exception {
        for (long delay = delayMs; delay > delayMs / 16; delay /= 2) {
            long raiseAt = delay;
            if (stopsWithinTheBound(call, elapsedMs -> elapsedMs >= raiseAt, when + " (" + raiseAt + " ms)")) {
                return;
            }
        }
        throw new AssertionError(when + ": the call always ended before the interrupt");
    }

    /** {@link InterruptTiming#stopsWithinTheBound} for a long call of the gradient. */
    private static boolean stopsWithinTheBound(MethodHandle call, InterruptTiming.Moment moment, String when)
            throws Exception {
        return InterruptTiming.stopsWithinTheBound(() -> {
            call.invokeExact(1.2, 2.5, 0.3, STEPS, new double[4]); // void: as a statement, invokeExact's type
        }, moment, when);
    }
}
