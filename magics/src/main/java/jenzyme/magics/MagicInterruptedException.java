package jenzyme.magics;

/**
 * A magic stopped by the kernel's interrupt before it bound anything new (the lowering, the Enzyme worker, the JIT or
 * the stubs): the kernel reports it as an interrupt of that magic, not as the failure of the stage it met.
 */
public final class MagicInterruptedException extends RuntimeException {

    public MagicInterruptedException(Throwable stopped) {
        super(jenzyme.runtime.error.Messages.INTERRUPTED_BY_USER.format(), stopped);
    }
}
