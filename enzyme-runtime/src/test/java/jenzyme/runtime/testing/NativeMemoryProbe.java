package jenzyme.runtime.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.stream.IntStream;

/**
 * What the memory tests of compiled allocation measure: the bytes malloc has out. Resident memory was tried first
 * and dropped: the Java heap's growth and shrinking (±145 MB over a million calls of code that allocates nothing
 * natively) drowned it; the malloc count moved by at most 13 MB then (the JVM's own compiler arenas), and by under
 * 0.2 MB once warm.
 */
public final class NativeMemoryProbe {

    private NativeMemoryProbe() {
    }

    /** Bytes malloc has handed out and not had back, over all its arenas (glibc's mallinfo2: uordblks + hblkhd). */
    public static long mallocInUse() throws Throwable {
        Linker linker = Linker.nativeLinker();
        StructLayout info = MemoryLayout.structLayout(IntStream.range(0, 10)
                .mapToObj(i -> ValueLayout.JAVA_LONG.withName("field" + i)).toArray(MemoryLayout[]::new));
        MethodHandle mallinfo2 = linker.downcallHandle(linker.defaultLookup().find("mallinfo2").orElseThrow(),
                FunctionDescriptor.of(info));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment counts = (MemorySegment) mallinfo2.invokeExact((SegmentAllocator) arena);
            return counts.getAtIndex(ValueLayout.JAVA_LONG, 7) + counts.getAtIndex(ValueLayout.JAVA_LONG, 4);
        }
    }

    /**
     * The least growth of malloc's bytes in use over {@code windows} runs of {@code window}: the JVM's own mallocs (its
     * compilers' arenas, about 10 MB either way, more when a loaded machine delays compilation into the window) come
     * and go, while a leak grows every window by the same amount.
     */
    public static long leastGrowth(int windows, Call window) throws Throwable {
        long least = Long.MAX_VALUE;
        for (int w = 0; w < windows; w++) {
            long before = mallocInUse();
            window.run();
            least = Math.min(least, mallocInUse() - before);
        }
        return least;
    }

    /** A call of compiled code (a gradient, a primal). */
    @FunctionalInterface
    public interface Call {
        void run() throws Throwable;
    }

    /**
     * Malloc's growth in bytes over {@code calls} runs of {@code call} and {@code failing} runs of {@code fails}, each
     * of which must throw {@code thrown} (a call failing after it allocated must free too); measured after
     * {@code warm} runs of {@code call}, in which the JVM compiles the call paths (its compiler mallocs too).
     */
    public static long growth(Call call, int warm, int calls, Call fails, Class<? extends Throwable> thrown,
                              int failing) throws Throwable {
        for (int i = 0; i < warm; i++) {
            call.run();
        }
        org.junit.jupiter.api.Assertions.assertThrows(thrown, fails::run);
        long before = mallocInUse();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        for (int i = 0; i < failing; i++) {
            try {
                fails.run();
            } catch (Throwable e) {
                if (!thrown.isInstance(e)) {
                    throw e;
                }
            }
        }
        return mallocInUse() - before;
    }
}
