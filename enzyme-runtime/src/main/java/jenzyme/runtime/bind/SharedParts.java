package jenzyme.runtime.bind;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The parts of one split call ({@link SplitCall}), taken one at a time by whichever thread asks next: the caller and
 * the helper each {@link #takeAll} until none is left. Part {@code k}'s slots go to row {@code k} of {@code rows},
 * so the sums do not depend on which thread ran it. After a part throws, no further part starts.
 */
final class SharedParts implements Runnable {

    private static final VarHandle NEXT;

    static {
        try {
            NEXT = MethodHandles.lookup().findVarHandle(SharedParts.class, "next", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MethodHandle[] parts;
    private final double[] rows;
    private final int slots;
    /** The arguments the helper runs its parts with: the caller's, with an out of its own. */
    private final Object[] helperArgs;
    /** The next part to take; parts.length when none is left. */
    @SuppressWarnings("unused") // through NEXT
    private volatile int next;
    /** The exception of the lowest part that threw, and that part (guarded by this). */
    private Throwable failure;
    private int failedPart = Integer.MAX_VALUE;

    /** {@code parts} spread over an Object[] of the call's arguments, whose last one is {@code double[] out}. */
    SharedParts(MethodHandle[] parts, double[] rows, int slots, Object[] helperArgs) {
        this.parts = parts;
        this.rows = rows;
        this.slots = slots;
        this.helperArgs = helperArgs;
    }

    /** The helper's share. */
    @Override
    public void run() {
        takeAll(helperArgs);
    }

    /** Runs parts with {@code args} (whose out this thread alone writes) until none is left. */
    void takeAll(Object[] args) {
        double[] out = (double[]) args[args.length - 1];
        for (int part = (int) NEXT.getAndAdd(this, 1); part < parts.length; part = (int) NEXT.getAndAdd(this, 1)) {
            try {
                parts[part].invokeExact(args);
                System.arraycopy(out, 0, rows, part * slots, slots);
            } catch (Throwable e) {
                failed(part, e);
                NEXT.setVolatile(this, parts.length);
            }
        }
    }

    private synchronized void failed(int part, Throwable e) {
        if (part < failedPart) {
            failedPart = part;
            failure = e;
        }
    }

    /** What the lowest part that threw threw, or null; read once both threads are done. */
    synchronized Throwable failure() {
        return failure;
    }
}
