package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The native copies of one ordinary (non-critical) downcall's heap segments, per thread (native code never calls
 * back into Java, so a thread runs one such call at a time). Small copies come from a reused per-thread buffer,
 * larger ones from an arena closed when the call ends; every copy goes back to its array when the call ends, also
 * after a failure (Java keeps the writes made before an exception). The same array passed twice shares one copy,
 * as it shares one memory on the JVM.
 */
final class CallScratch {

    private static final long BUFFER_BYTES = 64 * 1024;
    private static final ThreadLocal<CallScratch> CURRENT = ThreadLocal.withInitial(CallScratch::new);

    /**
     * @param nanos    how long the native code ran (without the copies)
     * @param integers the largest integer argument of the call (see {@link CallRoute})
     */
    record Finished(long nanos, long heapBytes, long integers) {}

    private record Copy(MemorySegment heap, MemorySegment copy) {}

    private final MemorySegment buffer = Arena.ofAuto().allocate(BUFFER_BYTES, 16);
    private final List<Copy> copies = new ArrayList<>();
    private long used;
    private long heapBytes;
    private long started;
    private long integers;
    private Arena large;

    static void begin() {
        CallScratch scratch = CURRENT.get();
        scratch.copies.clear();
        scratch.used = 0;
        scratch.heapBytes = 0;
        scratch.started = System.nanoTime();
    }

    /**
     * The native code starts now, after the copies in: {@link Finished#nanos()} is the time the code itself ran,
     * what a critical call of it would hold safepoints for.
     */
    static void nativeCodeStarts() {
        CURRENT.get().started = System.nanoTime();
    }

    /** Records the next ordinary call's largest integer argument (set before {@link #begin}, which keeps it). */
    static void noteIntegers(long magnitude) {
        CURRENT.get().integers = magnitude;
    }

    static MemorySegment copyIn(MemorySegment segment) {
        return segment.isNative() ? segment : CURRENT.get().copyOf(segment);
    }

    static Finished end() {
        CallScratch scratch = CURRENT.get();
        long nanos = System.nanoTime() - scratch.started;
        try {
            for (Copy copy : scratch.copies) {
                MemorySegment.copy(copy.copy(), 0, copy.heap(), 0, copy.heap().byteSize());
            }
        } finally {
            scratch.copies.clear();
            if (scratch.large != null) {
                scratch.large.close();
                scratch.large = null;
            }
        }
        return new Finished(nanos, scratch.heapBytes, scratch.integers);
    }

    private MemorySegment copyOf(MemorySegment heap) {
        for (Copy copy : copies) {
            if (copy.heap().heapBase().equals(heap.heapBase()) && copy.heap().address() == heap.address()
                    && copy.heap().byteSize() == heap.byteSize()) {
                return copy.copy();
            }
        }
        long size = heap.byteSize();
        long aligned = (Math.max(size, 1) + 15) & ~15L;
        MemorySegment copy;
        if (used + aligned <= BUFFER_BYTES) {
            copy = buffer.asSlice(used, Math.max(size, 1));
            used += aligned;
        } else {
            if (large == null) {
                large = Arena.ofConfined();
            }
            copy = large.allocate(Math.max(size, 1), 16);
        }
        MemorySegment.copy(heap, 0, copy, 0, size);
        copies.add(new Copy(heap, copy));
        heapBytes += size;
        return copy;
    }
}
