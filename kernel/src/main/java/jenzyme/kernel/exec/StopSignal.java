package jenzyme.kernel.exec;

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
            throw new CellInterruptedError("interrupted by the user");
        }
        // An abandoned thread must stop at its next check even after the flag is cleared for the next cell.
        if (someThreadAbandoned && Thread.currentThread() instanceof UserCodeThread.Worker worker && worker.isAbandoned()) {
            throw new CellInterruptedError("this cell was abandoned after an interrupt");
        }
    }

    /** Replaces {@code System.exit(status)} in woven snippet code. */
    public static void refuseExit(int status) {
        throw new UnsupportedOperationException("System.exit(" + status + ") would end the kernel and lose the "
                + "notebook's state; use the notebook's Restart command instead");
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
