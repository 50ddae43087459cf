package jenzyme.kernel.exec;

import jenzyme.runtime.error.Messages;

/**
 * The cooperative half of interrupting a cell: {@link StopCheckWeaver} makes every snippet method call
 * {@link #check()} on entry and before each backward branch, so a loop in user code ends within one iteration of
 * {@link #request()}. The flag is process-wide because there is one notebook per kernel JVM; it is cleared when the
 * next cell starts, so an interrupt only ever stops the cell that was running.
 */
public final class StopSignal {

    private static volatile boolean requested;
    private static volatile boolean someThreadAbandoned;

    private StopSignal() {
    }

    /** Called by instrumented snippet code; public because the snippet classes live in the {@code REPL} package. */
    public static void check() {
        if (requested) {
            throw new CellInterruptedError(Messages.INTERRUPTED_BY_USER.format());
        }
        // An abandoned thread must stop at its next check even after the flag is cleared for the next cell.
        if (someThreadAbandoned && Thread.currentThread() instanceof UserCodeThread.Worker worker && worker.isAbandoned()) {
            throw new CellInterruptedError(Messages.CELL_ABANDONED.format());
        }
    }

    /** Replaces {@code System.exit(status)} in woven snippet code. */
    public static void refuseExit(int status) {
        throw new UnsupportedOperationException(Messages.SYSTEM_EXIT.format(status));
    }

    /** Replaces {@code Runtime.exit(status)} and {@code Runtime.halt(status)} in woven snippet code. */
    public static void refuseExit(Runtime runtime, int status) {
        refuseExit(status);
    }

    static void abandon(UserCodeThread.Worker worker) {
        worker.markAbandoned();
        someThreadAbandoned = true;
    }

    static void request() {
        requested = true;
    }

    static void clear() {
        requested = false;
    }

    static boolean isRequested() {
        return requested;
    }
}
