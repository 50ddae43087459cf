package jenzyme.runtime.bind;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The one daemon thread that runs the second part of split calls ({@link SplitCall}), parked between them. One call
 * at a time {@link #tryClaim claims} it; a caller that finds it claimed runs its call whole.
 *
 * <p>Either thread may run the part: the helper takes it when it wakes, and the caller, done with its own part,
 * takes it if the helper has not yet ({@link #finish}). So a helper that the scheduler keeps waiting costs the call
 * nothing but the hand-off: measured on the 2-core machine at load 6-8 (other builds), a parked thread's wake-up took
 * 31 µs at the median but 6 ms at the 90th percentile; a caller waiting for it would have been 10× slower than the
 * whole call. Once the helper has taken the part, the caller waits for it (spinning briefly, then parked).
 */
final class SplitHelper {

    private static final int IDLE = 0;
    private static final int PENDING = 1;
    private static final int TAKEN = 2;
    /** How long the caller spins for the helper's part before parking: about one wake-up of a parked thread. */
    private static final long SPIN_NANOS = 30_000;

    private static final SplitHelper SHARED = new SplitHelper();

    private final AtomicBoolean claimed = new AtomicBoolean();
    private final AtomicInteger state = new AtomicInteger(IDLE);
    private final Thread thread;
    private volatile Runnable part;
    private volatile boolean done;
    private volatile Thread caller;
    /** What the part threw, written before {@link #done}. */
    private Throwable failure;

    private SplitHelper() {
        thread = Thread.ofPlatform().daemon().name("jenzyme-split-helper").unstarted(this::serve);
        thread.start();
    }

    static SplitHelper shared() {
        return SHARED;
    }

    /** Claims the helper for one call; false when another call has it. Every claim is followed by {@link #finish}. */
    boolean tryClaim() {
        return claimed.compareAndSet(false, true);
    }

    /** Hands {@code part} over (the claimant only). */
    void start(Runnable part) {
        this.failure = null;
        this.done = false;
        this.caller = Thread.currentThread();
        this.part = part;
        state.set(PENDING);
        LockSupport.unpark(thread);
    }

    /**
     * Runs the part here if the helper has not taken it, else waits for the helper to finish it (ignoring this
     * thread's interrupts, which stay set: the part must end before the call returns); then frees the helper.
     *
     * @return what the part threw, or null
     */
    Throwable finish() {
        try {
            if (state.compareAndSet(PENDING, TAKEN)) {
                return run(part);
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
            return failure;
        } finally {
            part = null;
            state.set(IDLE);
            claimed.set(false);
        }
    }

    private static Throwable run(Runnable part) {
        try {
            part.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    private void serve() {
        while (true) {
            if (state.compareAndSet(PENDING, TAKEN)) {
                failure = run(part);
                done = true;
                LockSupport.unpark(caller);
            } else {
                LockSupport.park(this); // spurious wake-ups just look again
            }
        }
    }
}
