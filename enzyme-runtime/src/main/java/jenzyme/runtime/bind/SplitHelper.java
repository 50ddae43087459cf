package jenzyme.runtime.bind;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The one daemon thread that shares the parts of split calls ({@link SplitCall}) with their callers, parked between
 * them. One call at a time {@link #tryClaim claims} it; a caller that finds it claimed runs its call whole.
 *
 * <p>The helper's share ({@link SharedParts}: parts taken from a counter) is started when the helper wakes; the
 * caller, done taking parts itself, cancels the share if the helper has not started it ({@link #finish}). So a
 * helper that the scheduler keeps waiting costs the call nothing but the hand-off: measured on the 2-core machine at
 * load 6-8 (other builds), a parked thread's wake-up took 31 µs at the median but 6 ms at the 90th percentile; a
 * caller waiting for it would have been 10× slower than the whole call. Once the helper has started, the caller
 * waits for the part it is running (spinning briefly, then parked).
 */
final class SplitHelper {

    private static final int IDLE = 0;
    private static final int PENDING = 1;
    private static final int TAKEN = 2;
    /** How long the caller spins for the helper's part before parking: about one wake-up of a parked thread. */
    private static final long SPIN_NANOS = 30_000;

    private static final SplitHelper SHARED = new SplitHelper(true);

    private final AtomicBoolean claimed = new AtomicBoolean();
    private final AtomicInteger state = new AtomicInteger(IDLE);
    private final Thread thread;
    private volatile Runnable share;
    private volatile boolean done;
    private volatile Thread caller;
    /** Buffers of the claimant's call (SplitCall): the parts' rows and the helper's out. */
    private double[] rows = new double[0];
    private double[] out = new double[0];

    private SplitHelper(boolean serving) {
        thread = Thread.ofPlatform().daemon().name("jenzyme-split-helper").unstarted(this::serve);
        if (serving) {
            thread.start();
        }
    }

    /** A helper whose thread never runs (tests: the caller then takes every part). */
    static SplitHelper asleep() {
        return new SplitHelper(false);
    }

    static SplitHelper shared() {
        return SHARED;
    }

    /**
     * Claims the helper for one call; false when another call has it. Every claim is followed by {@link #finish} and
     * then {@link #release}, once the claimant has read the buffers it was lent ({@link #rows}, {@link #out}).
     */
    boolean tryClaim() {
        return claimed.compareAndSet(false, true);
    }

    /** At least {@code length} doubles for the parts' rows, reused from call to call (the claimant only). */
    double[] rows(int length) {
        if (rows.length < length) {
            rows = new double[length];
        }
        return rows;
    }

    /** At least {@code length} doubles for the helper's out (the claimant only). */
    double[] out(int length) {
        if (out.length < length) {
            out = new double[length];
        }
        return out;
    }

    /** Hands {@code share}, which throws nothing, over to the helper thread (the claimant only). */
    void start(Runnable share) {
        this.done = false;
        this.caller = Thread.currentThread();
        this.share = share;
        state.set(PENDING);
        LockSupport.unpark(thread);
    }

    /**
     * Cancels the share if the helper has not started it, else waits for it to end (ignoring this thread's
     * interrupts, which stay set: the parts must end before the call returns). The claim stays: the rows are still
     * the claimant's to read.
     */
    void finish() {
        try {
            if (state.compareAndSet(PENDING, TAKEN)) {
                return;
            }
            long start = System.nanoTime();
            boolean interrupted = false;
            while (!done) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        } finally {
            share = null;
            state.set(IDLE);
        }
    }

    /** Frees the helper and its buffers for the next claim. */
    void release() {
        claimed.set(false);
    }

    private void serve() {
        while (true) {
            if (state.compareAndSet(PENDING, TAKEN)) {
                try {
                    share.run();
                } finally {
                    done = true;
                    LockSupport.unpark(caller);
                }
            } else {
                LockSupport.park(this); // spurious wake-ups just look again
            }
        }
    }
}
