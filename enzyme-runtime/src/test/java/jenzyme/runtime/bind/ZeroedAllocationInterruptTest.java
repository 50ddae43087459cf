package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.NativeMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.jit.NativeMemory;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.InterruptTiming;
import jenzyme.runtime.testing.NativeMemoryProbe;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A large zeroed allocation ({@code new double[n]}, and Enzyme's calloc'd shadow of it) does not hold up an
 * interrupt: the call stops within the kernel's bound once the array is allocated. Before, the checked allocator
 * zeroed every calloc with one memset: 1 GiB took 0.8-2.4 s here (2 cores, load 4), during which the interrupt waited.
 * Arrays still start zeroed, as the JVM's do, also where malloc hands back memory an earlier call wrote.
 */
class ZeroedAllocationInterruptTest {

    private static final String SOURCE = """
            package big;
            public class Big {
                /** A new array of n doubles (n at least 64), then a loop over 64 of its entries until interrupted. */
                static double spin(double x, int n) {
                    double[] a = new double[n];
                    double s = 0;
                    for (long r = 0; r >= 0; r++) {
                        int i = (int) (r & 63) * (n / 64);
                        a[i] += x;
                        s += Math.sin(a[i]);
                    }
                    return s;
                }
                /** The sum of a new array's entries (zero, as on the JVM), after which every entry is written. */
                static double dirty(int n) {
                    double[] a = new double[n];
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        s += a[i];
                        a[i] = i + 1;
                    }
                    return s + a[n - 1];
                }
            }
            """;

    /** 1 GiB of doubles: zeroing it took 0.8 s here. */
    private static final int N = 1 << 27;

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static final CompiledClasses classes = InMemoryJavac.compile("big.Big", SOURCE);

    @BeforeEach
    void clearFlag() {
        InterruptFlag.global().clear();
    }

    @Test
    void aJitCallStopsOnceItsLargeArrayIsAllocated() throws Throwable {
        try (NativeMethod spin = pipeline.jit(new JavaMethod(classes, "big/Big", "spin", "(DI)D"))) {
            MethodHandle handle = spin.handle();
            assertStopsOnceAllocated(() -> { double unused = (double) handle.invokeExact(0.5, N); }, "%jit");
        }
    }

    /** Forward mode allocates the array's shadow too (Enzyme's calloc of the same size). */
    @Test
    void aForwardDerivativeStopsOnceItsLargeArrayIsAllocated() throws Throwable {
        try (Derivative forward = pipeline.differentiate(new JavaMethod(classes, "big/Big", "spin", "(DI)D"),
                Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT)) {
            MethodHandle handle = forward.handle();
            double[] out = new double[forward.convention().slots().size()];
            assertStopsOnceAllocated(() -> handle.invoke(0.5, 1.0, N, out), "forward");
        }
    }

    /**
     * Arrays of a few doubles to 8 MB (zeroed by memset below 1 MiB, by calloc above; below and above malloc's mmap
     * threshold), each allocated three times by calls that write every entry before they free it: every array starts
     * as zeros.
     */
    @Test
    void newArraysStartZeroedAlsoInMemoryAnEarlierCallWrote() throws Throwable {
        try (NativeMethod dirty = pipeline.jit(new JavaMethod(classes, "big/Big", "dirty", "(I)D"))) {
            MethodHandle handle = dirty.handle();
            for (int n : new int[] {1, 7, 1000, 100_000, 1 << 20}) {
                for (int call = 0; call < 3; call++) {
                    assertEquals(n, (double) handle.invokeExact(n), "new double[" + n + "], call " + call);
                }
            }
        }
    }

    /**
     * Raises the flag once the checked allocator counts {@code call}'s array: the call must then stop within the
     * kernel's bound and leave no native memory behind.
     */
    private static void assertStopsOnceAllocated(NativeMemoryProbe.Call call, String when) throws Exception {
        long before = NativeMemory.inUse();
        assertTrue(InterruptTiming.stopsWithinTheBound(call, elapsedMs -> NativeMemory.inUse() - before >= 8L * N,
                when), when + ": the call ended before its array was allocated");
        InterruptTiming.assertNativeMemoryBackTo(before);
    }
}
