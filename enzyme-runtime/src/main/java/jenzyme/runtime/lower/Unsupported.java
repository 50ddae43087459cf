package jenzyme.runtime.lower;

/**
 * Thrown inside the lowering of one method when it meets something outside the subset; {@link MethodLowering}
 * adds class, method, bytecode offset and source line and rethrows it as a {@code LoweringException}. The message
 * texts are built by {@link #construct} and friends so all wording lives here.
 */
final class Unsupported extends RuntimeException {

    private Unsupported(String problem) {
        super(problem, null, false, false);
    }

    /** A construct outside the subset, named in Java words (see {@link JavaWords}), e.g. "reading Demo.x". */
    static Unsupported construct(String construct) {
        return new Unsupported("unsupported: " + construct);
    }

    static Unsupported type(String role, String descriptor) {
        return new Unsupported("unsupported " + role + " type " + JavaWords.type(descriptor)
                + " (supported: boolean, int, long, float, double, double[], float[], int[], long[])");
    }

    static Unsupported missingClass(String internalName) {
        return new Unsupported("no class bytes for " + JavaWords.owner(internalName)
                + " (only methods of classes defined in the notebook or given to the compiler can be compiled)");
    }

    static Unsupported missingMethod(MethodRef method) {
        return new Unsupported("no method " + JavaWords.method(method) + " in the class bytes");
    }

    static Unsupported malformed(String what) {
        return new Unsupported("malformed bytecode: " + what);
    }

    /** The problem text without location. */
    String problem() {
        return getMessage();
    }
}
