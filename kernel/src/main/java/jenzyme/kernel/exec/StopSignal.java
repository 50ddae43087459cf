package jenzyme.kernel.exec;

/**
 * The cooperative half of interrupting a cell: {@link StopCheckWeaver} makes every snippet method call
 * {@link #check()} on entry and before each backward branch, so a loop in user code ends within one iteration of
 * {@link #request()}. The flag is process-wide because there is one notebook per kernel JVM; it is cleared when the
 * next cell starts, so an interrupt only ever stops the cell that was running.
 */
public final class StopSignal {

    private static volatile boolean requested;

    private StopSignal() {
    }

    /** Called by instrumented snippet code; public because the snippet classes live in the {@code REPL} package. */
    public static void check() {
        if (requested) {
            throw new CellInterruptedError("interrupted by the user");
        }
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
