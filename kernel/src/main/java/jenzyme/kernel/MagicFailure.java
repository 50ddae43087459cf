package jenzyme.kernel;

import java.util.Set;
import java.util.TreeSet;

/** A magic threw: keeps which magic (for the message) and the magic's own exception as the cause. */
final class MagicFailure extends Exception {

    private final Set<String> knownMagics;

    MagicFailure(String magic, Throwable cause, Set<String> knownMagics) {
        super(magic + ": " + cause.getMessage(), cause, false, false);
        this.knownMagics = new TreeSet<>(knownMagics);
    }

    String knownMagics() {
        return knownMagics.isEmpty() ? "none" : String.join(", ", knownMagics);
    }
}
