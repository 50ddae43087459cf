package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.Messages;

/**
 * Thrown inside the lowering of one method when it meets something outside the subset; {@link MethodLowering}
 * adds class, method, bytecode offset and source line and rethrows it as a {@code LoweringException}. The message
 * texts come from {@link Messages}.
 */
final class Unsupported extends RuntimeException {

    /** The bytecode offset the problem is at, when not the instruction being lowered; -1 otherwise. */
    private final int bci;

    private Unsupported(String problem) {
        this(problem, -1);
    }

    private Unsupported(String problem, int bci) {
        super(problem, null, false, false);
        this.bci = bci;
    }

    /**
     * The same problem, reported at {@code bci}: an array's allocation when it escapes later, a carried variable's
     * assignment found wrong once the whole method is known.
     */
    Unsupported at(int bci) {
        return new Unsupported(getMessage(), bci);
    }

    /** The offset given by {@link #at}, or -1. */
    int bci() {
        return bci;
    }

    /** A construct outside the subset, named in Java words (see {@link JavaWords}), e.g. "reading Demo.x". */
    static Unsupported construct(Messages construct, Object... arguments) {
        return new Unsupported(Messages.UNSUPPORTED.format(construct.format(arguments)));
    }

    /** A construct {@link SubsetRules} refused, already in words. */
    static Unsupported refused(String construct) {
        return new Unsupported(Messages.UNSUPPORTED.format(construct));
    }

    static Unsupported type(String role, String descriptor) {
        return new Unsupported(Messages.UNSUPPORTED_TYPE.format(role, JavaWords.type(descriptor)));
    }

    static Unsupported missingClass(String internalName) {
        return new Unsupported(Messages.NO_CLASS_BYTES.format(JavaWords.owner(internalName)));
    }

    static Unsupported missingMethod(MethodRef method) {
        return new Unsupported(Messages.NO_METHOD.format(method.asWritten()));
    }

    static Unsupported malformed(String what) {
        return new Unsupported(Messages.MALFORMED_BYTECODE.format(what));
    }

    /** The problem text without location. */
    String problem() {
        return getMessage();
    }
}
