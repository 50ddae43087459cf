package jenzyme.runtime.error;

/**
 * Every text an error shows the user, in one place (as Hipparchus keeps its message formats in one enum), so that the
 * wording stays consistent and never drifts back to the compiler's internals: methods are named as written
 * ({@code h(double)}), places as cell and line, constructs in Java words. {@code {0}}, {@code {1}}, ... are filled in
 * by {@link #format}; no other syntax (unlike {@code MessageFormat}, quotes and numbers are taken as they are).
 */
public enum Messages {

    // Cells (the kernel's evaluation layer).
    COMPILATION_ERROR("Compilation error, line {0}, column {1}: {2}"),
    SNIPPET_REJECTED("JShell rejected this snippet"),
    INTERRUPTED("Interrupted: {0}"),
    INTERRUPTED_BY_USER("interrupted by the user"),
    UNKNOWN_MAGIC("{0}; known magics: {1}"),
    UNRESOLVED("{0} {1} cannot be used until {2}"),
    UNRESOLVED_ERRORS("its errors are fixed"),
    UNRESOLVED_MISSING("{0} is declared"),

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
    CANNOT_DIFFERENTIATE_REQUEST("cannot differentiate {0}: {1}"),
    WORKER_FAILED("the Enzyme worker failed: {0}"),
    JIT_FAILED("native compilation failed: {0}"),
    BINDING_FAILED("cannot bind the compiled code: {0}"),
    VERBOSE_HINT("(add --verbose to the magic line to see the {0})"),
    INTERNAL_ERROR("internal error, please report it: {0}"),
    STACK_TRACE("stack trace"),
    VERBOSE_SECTION("--- {0} ---"),

    // What the lowering refuses, in Java words (methods as JavaWords names them: g(double), Math.random()).
    UNSUPPORTED("unsupported: {0}"),
    UNSUPPORTED_TYPE("unsupported {0} type {1} (supported: boolean, int, long, float, double, double[], float[],"
            + " int[], long[])"),
    NO_CLASS_BYTES("no class bytes for {0} (only methods of classes defined in the notebook or given to the compiler"
            + " can be compiled)"),
    NO_METHOD("no method {0} in the class bytes"),
    MALFORMED_BYTECODE("malformed bytecode (a frontend bug, please report it): {0}"),
    READING_FIELD("reading {0} (compiled code cannot use notebook variables or fields; pass the value as a parameter)"),
    WRITING_FIELD("writing {0} (compiled code cannot use notebook variables or fields; pass the value as a parameter)"),
    STRING_CONCATENATION("string concatenation (+ on a String)"),
    LAMBDA("a lambda or method reference"),
    NEW_OBJECT("new {0} (compiled code cannot create objects)"),
    THROW_NEW("throw new {0} (compiled code cannot throw exceptions)"),
    THROW("throw"),
    NEW_OBJECT_ARRAY("new {0}[] (an array of objects)"),
    NEW_MULTI_ARRAY("new {0} (a multi-dimensional array)"),
    NEW_ARRAY_OF("new {0}[]"),
    NEW_ARRAY_IN_LOOP("new {0}[] inside a loop (allocate it once before the loop)"),
    ARRAY_ELEMENT("{0} a {1} element"),
    ARRAY_OF_REFERENCES("{0} an element of an array of arrays or objects"),
    SYNCHRONIZED_BLOCK("a synchronized block"),
    TRY_CATCH("try/catch/finally"),
    INSTANCEOF("instanceof {0}"),
    CAST("a cast to {0}"),
    NULL("null"),
    STRING_CONSTANT("a String constant \"{0}\""),
    CLASS_LITERAL("the class literal {0}.class"),
    CONSTANT("the constant {0}"),
    NULL_CHECK("a null check (== null or != null)"),
    REFERENCE_COMPARISON("== or != on arrays or objects (a reference comparison)"),
    OBJECT_ON_STACK("an object of type {0}"),
    BYTECODE_INSTRUCTION("the bytecode instruction {0}"),
    CALLING_INSTANCE_METHOD("calling {0} (compiled code can call static methods of the notebook, methods of its"
            + " records, and Math)"),
    CALLING_FOREIGN("calling {0} ({1} is not a class of the notebook)"),
    CALLING_FDLIBM_STRICT("calling {0} (specified bit for bit as fdlibm's algorithm, which native code does not"
            + " reproduce; Math.{1} compiles, within Java's documented ulp bound)"),
    CALLING_WITHOUT_NATIVE("calling {0} (no native equivalent)"),
    INSTANCE_METHOD("the instance method {0} (static methods and methods of records can be compiled)"),
    RECORD_COMPONENT("the record {0}, whose component {1} is a {2} (compiled records hold primitives, primitive arrays"
            + " or such records)"),
    RECORD_IDENTITY("{0} on the record {1} (compiled records are values without identity or text; compare or print"
            + " their components)"),
    RECORD_RETURNED_BY_ENTRY("returning the record {0} from the method you compile (the methods it calls may return"
            + " records; return a double, or fill an array parameter)"),
    ARRAY_IN_RETURNED_RECORD("new {0}[] in {1}, which returns a record holding arrays (an array created there would not"
            + " outlive the call; create it in the caller and pass it in)"),
    RECORD_PARAMETER_NAME("expected a parameter of {0} ({1}), got '{2}' (a record parameter r is named r, or r.x"
            + " for its component x)"),
    METHOD_WITHOUT_BYTECODE("the method {0}, which has no bytecode (native or abstract)"),
    SYNCHRONIZED_METHOD("the synchronized method {0}"),
    RETURNING_ARRAY("returning an array ({0}): pass the result array as a parameter and fill it"),

    // Activities and shapes a derivative needs (checked before anything reaches the worker).
    UNKNOWN_PARAMETER("expected a parameter of {0} ({1}), got '{2}'"),
    NOTHING_TO_DIFFERENTIATE("nothing to differentiate: every parameter is Const"),
    RESULT_NOT_FLOATING("expected {0} to return double, float or void (outputs in arrays), got {1}"),
    ACTIVITY_MISFIT("parameter {0} ({1}) cannot be {2}: {3}"),
    ACTIVE_NEEDS_SCALAR("Active applies to double or float scalars"),
    SCALAR_IS_ACTIVE("a scalar is Active in reverse mode, not {0}"),
    DUPLICATED_NEEDS_ARRAY("Duplicated applies to double[] or float[]"),
    BOOLEAN_PARAMETER("boolean parameters are not supported by %autodiff yet (pass an int)"),
    HVP_SHAPE("expected double {0}(double[]) for a Hessian-vector product, got {1}"),

    // Compiled code failed at run time (the binding raises the JVM's own exception types).
    COMPILED_INTERRUPTED("compiled {0} was interrupted"),
    COMPILED_OUT_OF_MEMORY("cannot allocate an array of {0} elements in compiled code (native memory is exhausted,"
            + " or it exceeds the JVM's maximum heap)"),
    COMPILED_STACK_OVERFLOW("compiled calls nested deeper than {0} (recursion too deep for native code; use a loop)"),
    COMPILED_NATIVE_MEMORY("compiled code could not allocate {0} MiB of native memory (compiled calls may hold {1}"
            + " MiB in all: set JENZYME_NATIVE_MEMORY or -Djenzyme.nativeMemory; a reverse pass keeps values of every"
            + " loop iteration, so fewer iterations per call need less)"),

    // Magic lines (what the user asked for does not exist or does not fit).
    NO_CELL_METHOD("no cell method named '{0}': define it in a cell first"),
    OVERLOADED("'{0}' is overloaded ({1}); give the overloads distinct names"),
    NOT_AN_IDENTIFIER("expected a Java identifier for the generated names (--name), got '{0}'"),
    UNKNOWN_MODE("expected the mode reverse, forward or hvp, got '{0}'\nusage: {1}"),
    UNKNOWN_ACTIVITY("expected Const, Active, Duplicated or DuplicatedNoNeed for {0}, got '{1}'"),
    SAMPLED_SHAPE("expected {0} to take one double[] or only double parameters, got {1}"),
    SAMPLED_RESULT("expected {0} to return double, got {1}"),
    HVP_OPTIONS("%autodiff hvp takes no activities or options but --name and --verbose"),

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
