package jenzyme.runtime.jit;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The calls inside some compiled code, counted so that releasing the code can wait for the last one to return.
 *
 * <p>Striped by thread, so that calls on many threads do not contend on one cache line, and a thread's entry and
 * exit always land on the same stripe: every stripe then stays >= 0 and {@link #idle} cannot read a call's exit
 * without its entry. {@link java.util.concurrent.atomic.LongAdder} gives no such guarantee: a contended update moves
 * to another cell, so a sum taken meanwhile could pair one thread's exit with another's entry and read 0 while a call
 * is still inside.
 *
 * <p>Every update is a volatile read-modify-write: a caller that counts itself and then reads a volatile "still
 * current" flag, against a releaser that clears the flag and then checks {@link #idle}, always has one of the two
 * see the other (the releaser sees the call, or the call sees the flag and backs out).
 */
public final class InFlightCalls {

    private static final int STRIPES = 16; // a power of two: threads map by their id's low bits
    private static final int SPACING = 8; // eight longs: stripes sit on separate 64-byte cache lines

    private final AtomicLongArray counts = new AtomicLongArray(STRIPES * SPACING);

    private static int stripe() {
        return (int) (Thread.currentThread().threadId() & (STRIPES - 1)) * SPACING;
    }

    public void enter() {
        counts.getAndIncrement(stripe());
    }

    public void exit() {
        counts.getAndDecrement(stripe());
    }

    /** Whether no call is inside: exact for every call that entered before this was called. */
    public boolean idle() {
        for (int i = 0; i < STRIPES; i++) {
            if (counts.get(i * SPACING) != 0) {
                return false;
            }
        }
        return true;
    }
}
