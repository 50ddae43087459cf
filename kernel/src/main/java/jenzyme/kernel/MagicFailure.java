package jenzyme.kernel;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A magic threw: keeps which magic and its arguments (for the message, and {@code --verbose}) and the magic's own
 * exception as the cause.
 */
final class MagicFailure extends Exception {

    private final String magic;
    private final boolean verbose;
    private final Set<String> knownMagics;

    MagicFailure(String magic, List<String> arguments, Throwable cause, Set<String> knownMagics) {
        super(magic + ": " + cause.getMessage(), cause, false, false);
        this.magic = magic;
        this.verbose = arguments.contains("--verbose");
        this.knownMagics = new TreeSet<>(knownMagics);
    }

    /** The magic with its mode word, e.g. {@code %autodiff}. */
    String magic() {
        return magic;
    }

    /** Whether the magic line asked for {@code --verbose}: IR and worker stderr in the error. */
    boolean verbose() {
        return verbose;
    }

    String knownMagics() {
        return knownMagics.isEmpty() ? "none" : String.join(", ", knownMagics);
    }
}
