package jenzyme.magics.maven;

/**
 * {@code %maven} could not put what was asked on the classpath; the message says why in the user's words and nothing
 * was added. An {@link IllegalArgumentException} because the kernel shows those as the message alone, without Java
 * stack frames; the resolver's exception stays attached as the cause for logs.
 */
public final class MavenResolutionException extends IllegalArgumentException {

    MavenResolutionException(String message, Throwable cause) {
        super(message, cause);
    }

    MavenResolutionException(String message) {
        super(message);
    }
}
