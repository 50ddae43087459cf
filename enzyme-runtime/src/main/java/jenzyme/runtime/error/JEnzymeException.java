package jenzyme.runtime.error;

/**
 * The one exception hierarchy of the compilation pipeline: a subtype per stage, so that the kernel can format each
 * with a {@code switch} over the sealed types and users learn which stage refused their code.
 */
public abstract sealed class JEnzymeException extends RuntimeException
        permits LoweringException, WorkerException, DifferentiationException, JitException, BindingException {

    protected JEnzymeException(String message) {
        super(message);
    }

    protected JEnzymeException(String message, Throwable cause) {
        super(message, cause);
    }
}
