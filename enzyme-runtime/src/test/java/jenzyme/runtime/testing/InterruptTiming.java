package jenzyme.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import jenzyme.runtime.bind.CompiledCodeInterruptedException;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.jit.NativeMemory;

/**
 * How the interrupt tests time a stop: a long compiled call on another thread, the flag raised at a chosen moment,
 * and the kernel's bound (it gives a thread up 250 ms after the interrupt).
 */
public final class InterruptTiming {

    /** The kernel's bound: it gives the thread up 250 ms after the interrupt. */
    public static final long STOP_BOUND_MS = 250;

    private InterruptTiming() {}

    /** When to raise the flag, from the milliseconds since the call started. */
    @FunctionalInterface
    public interface Moment {
        boolean reached(long elapsedMs);
    }

    /**
     * Starts {@code call} on another thread and raises the flag at {@code moment}: false if the call ended before
     * (then it must have returned), else true once the interrupt was reported within the bound.
     */
    public static boolean stopsWithinTheBound(NativeMemoryProbe.Call call, Moment moment, String when)
            throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                call.run();
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "interrupted-call");
        caller.setDaemon(true); // a call that never stopped fails the test instead of hanging the JVM
        long started = System.nanoTime();
        caller.start();
        while (!moment.reached((System.nanoTime() - started) / 1_000_000) && caller.isAlive()) {
            Thread.sleep(1);
        }
        if (!caller.isAlive()) {
            assertEquals(null, outcome.get(), when);
            return false;
        }
        long raised = System.nanoTime();
        InterruptFlag.global().raise();
        caller.join(60_000);
        long stoppedMs = (System.nanoTime() - raised) / 1_000_000;
        assertFalse(caller.isAlive(), when + ": still running a minute after the interrupt");
        System.out.println(when + ": stopped " + stoppedMs + " ms after the interrupt");
        assertTrue(stoppedMs <= STOP_BOUND_MS, when + ": stopped " + stoppedMs + " ms after the interrupt");
        assertInstanceOf(CompiledCodeInterruptedException.class, outcome.get(), when);
        assertFalse(InterruptFlag.global().isRaised(), "the binding consumes the interrupt it reports");
        return true;
    }

    /**
     * Waits up to 10 s for the checked allocator's bytes in use to be back at {@code before} (blocks of 16 MiB and more
     * an interrupted call left are freed on another thread), then asserts they are.
     */
    public static void assertNativeMemoryBackTo(long before) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (NativeMemory.inUse() != before && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(before, NativeMemory.inUse(), "an interrupted call left native memory behind");
    }
}
