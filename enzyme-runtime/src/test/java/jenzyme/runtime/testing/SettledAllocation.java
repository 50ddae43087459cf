package jenzyme.runtime.testing;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * What the allocation tests of the bindings measure: the bytes this thread allocates per round of calls once the
 * JIT has compiled them. The JIT needs time, so the rounds run in batches until one batch allocates nothing, for at
 * most {@value #SETTLE_SECONDS} s: a count of 200 batches (3 s) ended before C2 had compiled the calls in a CI run
 * at load 17, at 288 bytes per call.
 */
public final class SettledAllocation {

    private static final int SETTLE_SECONDS = 60;
    private static final int ROUNDS = 2_000;

    /** A call of a binding. */
    @FunctionalInterface
    public interface Call {
        void run() throws Throwable;
    }

    private SettledAllocation() {
    }

    /**
     * Bytes allocated per round of {@code calls} (each called once, in turn) in the first batch of {@value #ROUNDS}
     * rounds that allocates nothing, or in the last batch begun within {@value #SETTLE_SECONDS} s.
     */
    public static double bytesPerRound(List<? extends Call> calls) throws Throwable {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        Call[] each = calls.toArray(Call[]::new);
        long bytes = 0;
        long deadline = System.nanoTime() + SETTLE_SECONDS * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            long before = threads.getThreadAllocatedBytes(thread);
            for (int k = 0; k < ROUNDS; k++) {
                for (Call call : each) {
                    call.run();
                }
            }
            bytes = threads.getThreadAllocatedBytes(thread) - before;
            if (bytes == 0) {
                break;
            }
        }
        return bytes / (double) ROUNDS;
    }
}
