package jenzyme.runtime.lower;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import jenzyme.runtime.error.Messages;

/**
 * Lets the caller of a compilation (lowering, the Enzyme worker, the JIT) stop it where it polls: the lowering
 * between source lines, the pipeline before each worker request and before the JIT. A kernel interrupt of
 * {@code %autodiff} during the lowering of a 600-line method went unnoticed until JShell refused the stubs 7.9 s later
 * (qa6 R4, 29.6 s at load 16 when it arrived 0.5 s in): the worker's cancel only reached a request in flight. The
 * request is scoped to the calling thread, so other pipelines (tests, ./bench) never see a kernel's interrupt.
 */
public final class Interruption {

    private static final ScopedValue<BooleanSupplier> REQUESTED = ScopedValue.newInstance();

    private Interruption() {}

    /** Runs {@code compilation} on this thread, stopping it at its next poll once {@code requested} says so. */
    public static <T> T stoppable(BooleanSupplier requested, Supplier<T> compilation) {
        return ScopedValue.where(REQUESTED, requested).call(compilation::get);
    }

    /** Throws {@link Interrupted} if the compilation running on this thread was asked to stop. */
    public static void poll() {
        if (REQUESTED.isBound() && REQUESTED.get().getAsBoolean()) {
            throw new Interrupted();
        }
    }

    /** A compilation stopped on request; nothing of it was kept. */
    public static final class Interrupted extends RuntimeException {
        Interrupted() {
            super(Messages.INTERRUPTED_BY_USER.format());
        }
    }
}
