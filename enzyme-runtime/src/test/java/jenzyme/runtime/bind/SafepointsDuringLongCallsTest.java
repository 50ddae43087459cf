package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A long compiled call must not hold off safepoints: while it runs, another thread's full GC completes, and the
 * interrupt flag stops it. With every call critical (before CallRoute) System.gc() waited for the whole call.
 */
class SafepointsDuringLongCallsTest {

    private static final String SOURCE = """
            package sp;
            public class Loops {
                static double spin(double x, long n) { for (long i = 0; i != n; i++) x = x * 0.5 + 1; return x; }
                static double sweep(double[] a, long rounds) {
                    double s = 0;
                    for (long r = 0; r < rounds; r++) for (int i = 0; i < a.length; i++) s += a[i] * 0.5;
                    return s;
                }
            }
            """;
    /**
     * Far below the calls' length (tens of seconds unless interrupted, and the interrupt comes after the GC), far
     * above a full GC of the test JVM on a loaded machine (measured up to 3.8 s while the whole suite ran).
     */
    private static final long GC_LIMIT_MILLIS = 8000;
    private static final CompiledClasses CLASSES = InMemoryJavac.compile("sp.Loops", SOURCE);
    @AutoClose
    private static final Pipeline compiler = Pipeline.create();

    /** Runs {@code call} on a thread, then times a full GC on this one, then interrupts the call. */
    private static long gcMillisDuring(ThrowingCall call) throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            started.countDown();
            try {
                call.run();
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        caller.start();
        started.await();
        Thread.sleep(300); // well inside the native loop
        long before = System.nanoTime();
        System.gc();
        long millis = (System.nanoTime() - before) / 1_000_000;
        InterruptFlag.global().raise();
        caller.join(10_000);
        assertInstanceOf(CompiledCodeInterruptedException.class, outcome.get(), "the loop stopped on the interrupt");
        return millis;
    }

    interface ThrowingCall {
        void run() throws Throwable;
    }

    @Test
    void aFullGcCompletesWhileAScalarLoopRuns() throws Exception {
        MethodHandle spin = compiler.jit(new JavaMethod(CLASSES, "sp/Loops", "spin", "(DJ)D")).handle();
        long millis = gcMillisDuring(() -> {
            double ignored = (double) spin.invokeExact(0.0, 100_000_000_000L); // ~60 s if never interrupted
        });
        assertTrue(millis < GC_LIMIT_MILLIS, "System.gc() took " + millis + " ms during the native call");
    }

    @Test
    void aFullGcCompletesWhenABindingShownShortGetsAFarLongerLoopCountWithTheSameArray() throws Throwable {
        MethodHandle sweep = compiler.jit(new JavaMethod(CLASSES, "sp/Loops", "sweep", "([DJ)D")).handle();
        double[] a = new double[1000];
        java.util.Arrays.fill(a, 2.0);
        for (int i = 0; i < 3; i++) {
            assertEquals(1000.0, (double) sweep.invokeExact(a, 1L)); // short: later calls like it go zero-copy
        }
        long millis = gcMillisDuring(() -> {
            double ignored = (double) sweep.invokeExact(a, 10_000_000_000L); // same array, 10^10 rounds
        });
        assertTrue(millis < GC_LIMIT_MILLIS, "System.gc() took " + millis + " ms during the native call");
    }

    @Test
    void aFullGcCompletesWhileALongLoopOverALargerArrayThanShortCallsHadRuns() throws Throwable {
        MethodHandle sweep = compiler.jit(new JavaMethod(CLASSES, "sp/Loops", "sweep", "([DJ)D")).handle();
        double[] a = new double[1000];
        java.util.Arrays.fill(a, 2.0);
        assertEquals(1000.0, (double) sweep.invokeExact(a, 1L)); // long enough a loop count, same array, later
        long millis = gcMillisDuring(() -> {
            double ignored = (double) sweep.invokeExact(new double[5000], 10_000_000_000L);
        });
        assertTrue(millis < GC_LIMIT_MILLIS, "System.gc() took " + millis + " ms during the native call");
    }
}
