package jenzyme.runtime.error;

/**
 * Every text an error shows the user, in one place (as Hipparchus keeps its message formats in one enum), so that the
 * wording stays consistent and never drifts back to the compiler's internals: methods are named as written
 * ({@code h(double)}), places as cell and line, constructs in Java words. {@code {0}}, {@code {1}}, ... are filled in
 * by {@link #format}; no other syntax (unlike {@code MessageFormat}, quotes and numbers are taken as they are).
 */
public enum Messages {

    // Where an error happened (rendered by the kernel).
    CELL_LINE("cell {0}, line {1}"),
    LINE("line {0}"),
    QUOTED_LINE("----> {0} {1}"),
    IN_METHOD_AT("{0}, {1}:"),
    AT("{0}:"),
    GENERATED_FRAME("in {0} (bound by a magic)"),
    LIBRARY_FRAME("in {0}"),
    CAUSED_BY("caused by {0}"),
    MAGIC_FAILED("{0}: {1}"),

    // The pipeline's stages, as the renderer headlines them.
    CANNOT_COMPILE("cannot compile {0}: {1}"),
    CANNOT_DIFFERENTIATE("Enzyme cannot differentiate this method ({0}): {1}"),
    WORKER_FAILED("the Enzyme worker failed: {0}"),
    JIT_FAILED("native compilation failed: {0}"),
    BINDING_FAILED("cannot bind the compiled code: {0}"),
    VERBOSE_HINT("(add --verbose to the magic line to see the {0})"),
    INTERNAL_ERROR("internal error, please report it: {0}"),
    STACK_TRACE("stack trace"),
    VERBOSE_SECTION("--- {0} ---"),

    // Compiled code failed at run time (the binding raises the JVM's own exception types).
    COMPILED_INTERRUPTED("compiled {0} was interrupted"),
    COMPILED_OUT_OF_MEMORY("cannot allocate an array of {0} elements in compiled code (native memory is exhausted,"
            + " or it exceeds the JVM's maximum heap)"),
    COMPILED_STACK_OVERFLOW("compiled calls nested deeper than {0} (recursion too deep for native code; use a loop)"),

    // Stale bindings.
    STALE_METHOD("{0} changed since {1}; re-run {2}"),
    STALE_CALLEE("{0} (called by {1}) changed since {2}; re-run {3}"),

    // Generated bindings JShell refused (their source only with --verbose: it is ours, not the user's).
    DEFINITION_REFUSED("JShell refused the generated bindings: {0}"),
    GENERATED_SOURCE("generated source");

    private final String template;

    Messages(String template) {
        this.template = template;
    }

    /** The template with {@code {i}} replaced by {@code String.valueOf(arguments[i])}. */
    public String format(Object... arguments) {
        String text = template;
        for (int i = 0; i < arguments.length; i++) {
            text = text.replace("{" + i + "}", String.valueOf(arguments[i]));
        }
        return text;
    }

    /** The template itself, for tests. */
    public String template() {
        return template;
    }
}
