package jenzyme.magics.gradcheck;

/**
 * Gradient-check stage: the checked function or gradient failed (threw, or returned a gradient of the wrong shape)
 * at a point. The message names the point; the original exception, if any, is the cause.
 */
public final class GradCheckException extends RuntimeException {

    GradCheckException(String message, Throwable cause) {
        super(message, cause);
    }

    GradCheckException(String message) {
        super(message);
    }
}
