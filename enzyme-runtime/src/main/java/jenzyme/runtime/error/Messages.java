package jenzyme.runtime.error;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * Every text JEnzyme shows the user, in one catalogue (as Hipparchus keeps its message formats in one enum), so that
 * the wording stays consistent and never drifts back to the compiler's internals: methods are named as written
 * ({@code h(double)}), places as cell and line, constructs in Java words. A constant is the typed key of its text in
 * {@code messages.properties} beside this class; {@code {0}}, {@code {1}}, ... are filled in by {@link #format}, no
 * other syntax (unlike {@code MessageFormat}, quotes and numbers are taken as they are).
 *
 * <p>Why a bundle and not texts in the constants: the catalogue holds every exception text of the runtime, the magics
 * and the kernel (about 260), more than one readable Java file; a properties file keeps them in one place, in the
 * order of these sections, with one key per constant ({@code MessagesTest} checks both sides match, and
 * {@code InlineMessagesTest} that no main source writes an exception text inline). To add a text: a constant here
 * and its line in {@code messages.properties}, in the same section.
 */
public enum Messages {

    // Cells (the kernel's evaluation layer).
    COMPILATION_ERROR,
    SNIPPET_REJECTED,
    INTERRUPTED,
    INTERRUPTED_BY_USER,
    MAGIC_INTERRUPTED,
    UNKNOWN_MAGIC,
    UNRESOLVED,
    UNRESOLVED_ERRORS,
    IMPORT_RESET_VARIABLES,
    UNRESOLVED_MISSING,

    // Where an error happened (rendered by the kernel).
    CELL_LINE,
    LINE,
    QUOTED_LINE,
    IN_METHOD_AT,
    AT,
    GENERATED_FRAME,
    LIBRARY_FRAME,
    CAUSED_BY,
    MAGIC_FAILED,

    // The pipeline's stages, as the renderer headlines them.
    CANNOT_COMPILE,
    CANNOT_DIFFERENTIATE,
    CANNOT_DIFFERENTIATE_REQUEST,
    WORKER_FAILED,
    JIT_FAILED,
    BINDING_FAILED,
    VERBOSE_HINT,
    INTERNAL_ERROR,
    STACK_TRACE,
    VERBOSE_SECTION,

    // Where the lowering refused something, in LoweringException's own message (the kernel renders cell lines itself).
    PROBLEM_IN,
    PROBLEM_IN_AT_LINE,

    // What the lowering refuses, in Java words (methods as JavaWords names them: g(double), Math.random()).
    UNSUPPORTED,
    UNSUPPORTED_TYPE,
    NO_CLASS_BYTES,
    NO_METHOD,
    MALFORMED_BYTECODE,
    READING_FIELD,
    READING_STATIC_FIELD_TYPE,
    WRITING_STATIC_FIELD,
    WRITING_FIELD,
    STRING_CONCATENATION,
    LAMBDA,
    LAMBDA_CONSTRUCTOR,
    LAMBDA_FOREIGN_TARGET,
    LAMBDA_UNKNOWN_RECEIVER,
    LAMBDA_OTHER_METHOD,
    LAMBDA_TYPES,
    LAMBDA_PARAMETER,
    LAMBDA_ARGUMENT_NULL,
    LAMBDA_ARGUMENT_OBJECT,
    LAMBDA_ARGUMENT_CAPTURE,
    LAMBDA_ARGUMENT_FOREIGN,
    LAMBDA_ARGUMENT_AMBIGUOUS,
    LAMBDA_HOST_CELL,
    STREAM_OPERATION,
    LAMBDA_BODY,
    NEW_OBJECT,
    NEW_OBJECT_NOT_FINAL,
    THROW_NEW,
    THROW,
    THROW_MESSAGE_OBJECT,
    THROW_MESSAGE_VALUES,
    THROW_MESSAGE_BUILDER,
    NEW_OBJECT_ARRAY,
    NEW_MULTI_ARRAY,
    ROW_ASSIGNMENT,
    LITERAL_ROW_SHARED,
    LITERAL_ACROSS_JUMP,
    LOOP_ARRAY_ESCAPES,
    LOOP_ARRAY_OUTER_LOCAL,
    LOOP_ARRAY_IN_RECORD,
    CARRIED_NOT_OWN,
    CARRIED_COPY_IN,
    CARRIED_OTHER,
    CARRIED_COPIED,
    CARRIED_ESCAPES,
    CARRIED_MATRIX_SHARED,
    CARRIED_LENGTH,
    CARRIED_SOURCE_USED,
    LOOP_ARRAY_ACROSS_JUMP,
    CALLING_RETURNS_SHARED,
    SHARED_ARRAY_MIXED,
    SHARED_ARRAY_LEAVE_ACTIVE,
    SHARED_ARRAY_MIXED_PASSED,
    CONSTANT_PASSED_PARAMETER,
    CONSTANT_PASSED_FIELD,
    MIXED_ACTIVITY,
    MIXED_ACTIVITY_OF,
    MIXED_ACTIVITY_LOOP_CONSTANTS,
    RETURNS_PARAMETER_OR_OTHER,
    RETURNS_PARAMETER_OR_OTHER_HINT,
    RETURNS_NOT_ITS_OWN,
    RETURNS_NOT_ITS_OWN_HINT,
    COPYING_ROWS,
    MATRIX_LANES,
    WRITTEN_CONST_MATRIX,
    WRITTEN_CONST_MATRIX_PARAMETER,
    WRITTEN_CONST_MATRIX_FIELD,
    NULL_ROW,
    SHADOW_ROWS,
    SHADOW_ROW_LENGTH,
    SHADOW_ROW_NULL,
    NEW_ARRAY_OF,
    ARRAY_ELEMENT,
    ARRAY_OF_REFERENCES,
    SYNCHRONIZED_BLOCK,
    TRY_CATCH,
    INSTANCEOF,
    CAST,
    NULL,
    STRING_CONSTANT,
    CLASS_LITERAL,
    CONSTANT,
    NULL_CHECK,
    REFERENCE_COMPARISON,
    OBJECT_ON_STACK,
    BYTECODE_INSTRUCTION,
    CALLING_INSTANCE_METHOD,
    CALLING_FOREIGN,
    CALLING_FOREIGN_RULE,
    CALLING_FDLIBM_STRICT,
    LIBRARY_METHOD_REFUSED,
    CALLING_WITHOUT_NATIVE,
    INSTANCE_METHOD,
    METHOD_WITHOUT_BYTECODE,
    SYNCHRONIZED_METHOD,
    RETURNING_ARRAY,
    RECORD_COMPONENT,
    RECORD_IDENTITY,
    RECORD_RETURNED_BY_ENTRY,
    ARRAY_IN_RECORD_CONSTRUCTOR,
    RECORD_PARAMETER_NAME,
    GRADIENT_RECORD_REFUSED,
    OBJECT_PARAMETER_WRITTEN,
    COPIED_OBJECT_GRADIENT,
    COPIED_ARRAY_FIELD_ASSIGNED,
    COPIED_FIELD_ACTIVITY,
    OBJECT_WRITTEN_RETURNED,
    OBJECT_WRITTEN_IN_FIELD,
    OBJECT_UNDER_CONSTRUCTION_PASSED,
    LOOP_OBJECT_ESCAPES,
    OBJECT_PARAMETER,
    OBJECT_PRIVATE_FIELD,
    OBJECT_NO_FIELDS_CONSTRUCTOR,
    SHAPE_OF_NON_RECORD,
    RECORD_HAS_NO_LLVM_TYPE,
    CALLING_ARRAY_RESULT,
    CALLING_COPIED_ENTRY,
    NATIVE_ARRAY_RESULT,

    // Activities and shapes a derivative needs (checked before anything reaches the worker).
    UNKNOWN_PARAMETER,
    NOTHING_TO_DIFFERENTIATE,
    RESULT_NOT_FLOATING,
    ACTIVITY_MISFIT,
    ACTIVE_NEEDS_SCALAR,
    SCALAR_IS_ACTIVE,
    DUPLICATED_NEEDS_ARRAY,
    HVP_READS_FIELDS,
    HVP_SHAPE,

    // Checkpointed reverse passes (%autodiff reverse f --checkpoint).
    CHECKPOINT_NO_LOOP,
    CHECKPOINT_LOOP_SHAPE,
    CHECKPOINT_STATE,
    CHECKPOINT_ARRAY_IN_LOOP,
    CHECKPOINT_LOCAL_NAMED,
    CHECKPOINT_LOCAL_AT_LINE,
    CHECKPOINT_PARAMETER_WRITTEN,
    CHECKPOINT_SHAPE,
    CHECKPOINT_SEGMENT,
    CHECKPOINT_MODE,

    // Vector functions, Jacobians and batched forward mode.
    WIDTH,
    JACOBIAN_INPUT,
    JACOBIAN_OUTPUT,
    JACOBIAN_NOT_ARRAY,
    JACOBIAN_SAME,
    JACOBIAN_OBJECT_FIELDS,
    JACOBIAN_WRITTEN_MATRIX,
    JACOBIAN_LAMBDA_STATE,
    JACOBIAN_ROWS,
    RESULT_LENGTH,
    ARGUMENT_COUNT,
    JACOBIAN_OPTIONS,
    BATCH_SHAPE,
    BATCH_TANGENTS,
    BATCH_TANGENT_LENGTH,
    UNKNOWN_JACOBIAN_MODE,
    JACOBIAN_NEEDS_DERIVATIVE,
    LAYOUT_WIDTH,
    SCRATCH_NOT_CONST_ARRAY,
    BOUND_JACOBIAN,
    JACOBIAN_FORWARD,
    JACOBIAN_REVERSE,
    JACOBIAN_BOTH,

    // Derivative rules (%autodiff rule) and calls back into the JVM.
    RULE_PRIMAL_SHAPE,
    RULE_FORWARD_SHAPE,
    RULE_REVERSE_SHAPE,
    RULE_NO_DERIVATIVE,
    RULE_SECOND_ORDER,
    RULE_READS_FIELD,
    RULE_NEEDS_DERIVATIVE,
    RULE_UNKNOWN_CLASS,
    RULE_NO_JVM_METHOD,
    RULE_JVM_METHOD_ACCESS,
    RULE_OPTIONS,
    RULE_BOUND,

    // Compiled code failed at run time (the binding raises the JVM's own exception types).
    COMPILED_INTERRUPTED,
    ARRAY_OF_UNKNOWN_TYPE,
    ARRAYCOPY_TYPES,
    CLAMP_ORDER,
    STATIC_FIELD_NULL,
    STATIC_FIELD_UNREADABLE,
    UNKNOWN_THROWN,
    COMPILED_OUT_OF_MEMORY,
    COMPILED_STACK_OVERFLOW,
    COMPILED_NATIVE_MEMORY,

    // Magic lines (what the user asked for does not exist or does not fit).
    NO_CELL_METHOD,
    RECEIVER_NOT_A_VARIABLE,
    RECEIVER_NULL,
    RECEIVER_NULL_AT_CALL,
    RECEIVER_NO_METHOD,
    RECEIVER_MODES,
    OVERLOADED,
    NOT_AN_IDENTIFIER,
    UNKNOWN_MODE,
    UNKNOWN_ACTIVITY,
    SAMPLED_SHAPE,
    SAMPLED_LAMBDA,
    SAMPLED_LAMBDA_VARIABLE,
    SAMPLED_NOT_A_LAMBDA,
    SAMPLED_RESULT,
    HVP_OPTIONS,
    HVP_ACTIVITY,
    WITH_USAGE,
    NOT_NUMBERS,
    NOT_A_RANGE,
    EXPLAIN_USAGE,

    // Compiled artefacts shipped to other JVMs (Spark executors) and the Spark layer.
    SHIP_HVP,
    SHIP_COPIED_OBJECT,
    SHIP_CORRUPT,
    SHIP_MODE,
    BATCH_LENGTHS,
    SHIP_NOT_BOUND,
    SHIP_STALE,
    SPARK_TASK_FAILED,
    SPARK_FIT_OPTIONS,
    SPARK_JAR_UNKNOWN,
    SPARK_CLUSTER_START_FAILED,
    SPARK_CLUSTER_INTERRUPTED,
    SPARK_USAGE,
    SPARK_WORKERS_AND_MASTER,
    SPARK_JAR_MISSING,
    SHIP_USAGE,
    SHIPMENT_GONE,
    SPARK_DAEMON_EXITED,
    SPARK_CLUSTER_SLOW,

    // What the magics print when they succeed (bindings, %gradcheck's verdict, %maven, %autodiff --explain).
    BOUND_REVERSE,
    BOUND_FORWARD,
    BOUND_HVP,
    BOUND_NATIVE,
    GRADCHECK_SETTINGS,
    GRADCHECK_PASSED_POINT,
    GRADCHECK_PASSED,
    GRADCHECK_FAILED,
    MAVEN_ALREADY_LOADED,
    MAVEN_ADDED,
    MAVEN_WITH,
    MAVEN_KEPT,
    MAVEN_DOWNLOADED,
    GENERATED_CODE_REJECTED,
    EXPLAIN_COMPILES,
    EXPLAIN_ONE_PROBLEM,
    EXPLAIN_PROBLEMS,
    EXPLAIN_SUBSET,
    EXPLAIN_SIGNATURE,
    EXPLAIN_LINE,
    NO_INTERRUPT_CHECKS,

    // Stale bindings.
    STALE_METHOD,
    STALE_CALLEE,
    STALE_CLASS,

    // Generated bindings JShell refused (their source only with --verbose: it is ours, not the user's).
    DEFINITION_REFUSED,
    GENERATED_SOURCE,

    // The calling-convention model (a frontend and worker out of step if the user sees these).
    HANDLE_TYPE_MISMATCH,
    WRAPPER_INDEX_OUTSIDE,
    LENGTH_NOT_INTEGER,
    NOT_A_WORKER_TYPE,
    NOT_A_SYMBOL_NAME,
    UNKNOWN_NATIVE_TYPE,
    WRAPPER_TYPES_PER_ARGUMENT,
    WRAPPER_HAS_SLOTS,
    WRAPPER_MISMATCH,
    WRAPPER_WITHOUT_OUT,
    NO_SLOT,
    NO_ARGUMENT_SLOT,

    // The plain-Java API (jenzyme.runtime.api.JEnzyme).
    API_ARGUMENT_COUNT,
    API_ARGUMENTS_MISFIT,
    API_DERIVATIVE_FAILED,
    API_GRADIENT_SHAPE,
    API_GRADIENT_RESULT,
    API_WORKER_NOT_SET,
    API_WORKER_NOT_EXECUTABLE,
    API_CLASS_FILE_UNREADABLE,

    // The Hipparchus bridge (jenzyme.hipparchus.HipparchusBridge): what the user's lambdas returned.
    HIPPARCHUS_MATRIX_SHAPE,
    HIPPARCHUS_VECTOR_LENGTH,
    HIPPARCHUS_DIMENSION,
    HIPPARCHUS_NO_STATE_JACOBIAN,
    HIPPARCHUS_UNKNOWN_PARAMETER,
    HIPPARCHUS_PARAMETER_NAMES,

    // Binding compiled code, and the arguments a compiled call checks.
    NOT_AN_ARRAY_TYPE,
    BOUND_TYPE_MISMATCH,
    NO_HEAP_SEGMENT,
    SHADOW_TOO_SHORT,
    NULL_ARRAY_ARGUMENT,
    SHADOW_ALIASES,
    HVP_NULL_ARGUMENT,
    HVP_LENGTHS,
    HVP_ALIASES,
    FFM_CANNOT_BIND,
    CODE_RELEASED,
    NULL_ARGUMENT,
    NOT_A_RETURN_TYPE,
    NOT_A_SCALAR_TYPE,
    UNKNOWN_STATUS,
    COMPILED_INDEX_OUT_OF_BOUNDS,
    COMPILED_ARRAYCOPY_INDEX,
    COMPILED_ARRAYCOPY_LENGTH,
    COMPILED_RANGE_ORDER,
    COMPILED_RANGE_INDEX,
    COMPILED_BOUNDS_ORDER,
    COMPILED_CLAMP_MIN_NAN,
    COMPILED_CLAMP_MAX_NAN,
    LIBRARY_METHOD_UNEXPECTED,
    NUMERIC_ARRAY_EXPECTED,
    THROWABLE_EXPECTED,
    COMPILED_DIVISION_BY_ZERO,
    STATUS_OK_UNREACHABLE,
    NOT_A_PRIMITIVE,
    NOT_A_PRIMITIVE_ARRAY,
    NULL_ARRAY,
    DACTIVE_LENGTH,
    NULL_SHADOW,
    SHADOW_OF,
    TANGENT_OF,
    ROW_OF,
    OUT_TOO_SHORT,

    // The JIT and the native memory budget.
    MODULE_RELEASED,
    NO_SUCH_SYMBOL,
    MODULE_CODE_RELEASED,
    BUDGET_NOT_POSITIVE,
    BUDGET_OUT_OF_RANGE,
    BUDGET_SYNTAX,
    PTHREAD_KEY_ERROR,
    PTHREAD_KEY_FAILED,
    JIT_START_FAILED,
    JIT_CLOSED,
    MODULE_DOES_NOT_VERIFY,
    MODULE_RELEASE_FAILED,
    FULL_TIER_FAILED,
    NO_BITCODE,
    MODULE_COMPILE_FAILED,

    // The LLVM layer (an installation problem if the user sees these).
    ALLOCATOR_IR_MISSING,
    NO_INTRINSIC,
    NO_ATTRIBUTE,

    // Lowering invariants (a frontend bug if the user sees these).
    NOT_A_BINARY_OPERATOR,
    NOT_A_CONVERSION,
    NOT_AN_INT_BRANCH,
    IR_DOES_NOT_VERIFY,
    LENGTH_OF_NON_ARRAY,
    NO_BYTECODE,
    VOID_PARAMETER,
    PARAMETER_AT_STATUS,
    NOT_A_STACK_INSTRUCTION,
    UNKNOWN_STATUS_CODE,
    NO_SHA_256,
    NO_TBAA_TYPE,
    VOID_VALUE,
    NO_STATIC_METHOD,
    SEVERAL_STATIC_METHODS,

    // The Enzyme worker: starting it and its protocol.
    NOT_A_FUNCTION_NAME,
    REVERSE_WIDTH,
    FORWARD_WIDTH,
    FRAME_UNENCODABLE_FIELD,
    FRAME_BODY_TOO_LARGE,
    WORKER_OUTPUT_ENDED,
    FRAME_TOO_LARGE,
    FRAME_HEADER_LINE,
    FRAME_SECTIONS_MISMATCH,
    FRAME_SECTION_FIELD,
    WORKER_OUTPUT_ENDED_INSIDE,
    TIMEOUT_NOT_POSITIVE,
    NOT_A_WORKER_FAILURE,
    WRAPPER_PARAMETER_TOKEN,
    WRAPPER_SLOT_TOKEN,
    WRAPPER_TYPED_TOKEN,
    WRAPPER_INDEX_TOKEN,
    WORKER_NOT_SET,
    WORKER_TIMEOUT_SYNTAX,
    WORKER_CLIENT_CLOSED,
    WORKER_NOT_EXECUTABLE,
    WORKER_START_FAILED,
    FRAME_PREFIX,

    // The kernel: cells, snippet classes, interrupts.
    JJAVA_SLEEP_MISSING,
    JJAVA_IOLOOP_MISSING,
    NO_KERNEL,
    UNCLOSED_QUOTE,
    CELL_METHOD_NOT_LOADED,
    CLASSPATH_ENTRY_UNUSABLE,
    NOT_A_SNIPPET_CLASS,
    SNIPPET_LOAD_FAILED,
    SNIPPET_REDEFINED,
    CELL_ABANDONED,
    SYSTEM_EXIT,
    INTERRUPT_ABANDONED,
    SNIPPET_METHOD_COUNT,

    // What the magics share: generated names and bindings.
    BINDING_REPLACED,
    RELEASE_FAILED,
    CODE_HANDED_OVER_TWICE,
    NAME_TAKEN_BY_BINDING,
    NAME_BOUND_TO_OTHER_TARGET,
    NAME_TAKEN_BY_USER,
    POINT_DIMENSION,
    INVISIBLE_CHARACTER,

    // %classpath.
    CLASSPATH_USAGE,
    CLASSPATH_NO_MATCH,
    CLASSPATH_DIRECTORY_UNREADABLE,
    CLASSPATH_UNREADABLE,
    CLASSPATH_NOT_CLASSES,

    // %gradcheck and GradCheck.
    GRADCHECK_NO_POINT,
    GRADCHECK_COUNT,
    GRADCHECK_CORNERS,
    GRADCHECK_DIMENSION,
    GRADCHECK_STEP,
    GRADCHECK_TOLERANCE,
    GRADCHECK_POINT_DIMENSIONS,
    GRADCHECK_NO_POINTS,
    GRADCHECK_F_THREW,
    GRADCHECK_GRADIENT_THREW,
    GRADCHECK_DIFFERENCE_THREW,
    GRADCHECK_NOT_FINITE,
    GRADCHECK_NEEDS_POINT,
    GRADCHECK_DIM_MISFIT,
    GRADCHECK_TOO_MANY_ROWS,
    GRADCHECK_POINT_DIMENSION,
    NOT_A_NUMBER,
    GRADCHECK_NULL_FUNCTION,
    GRADCHECK_NULL_POINT,
    GRADCHECK_EMPTY_POINT,
    GRADCHECK_CORNER_DIMENSIONS,
    GRADCHECK_GRADIENT_LENGTH,

    // %maven and %mavenRepo.
    UNKNOWN_OPTION,
    MAVEN_USAGE,
    MAVEN_TWO_VERSIONS,
    MAVEN_INTERRUPTED,
    MAVEN_POM_UNREADABLE,
    MAVEN_CANNOT_RESOLVE,
    MAVEN_COORDINATE,
    MAVEN_RANGE,
    MAVEN_REPO_USAGE,
    MAVEN_ADDED_EARLIER,
    MAVEN_WITH_KERNEL,
    MAVEN_REPOSITORY,
    MAVEN_UNREACHABLE,
    MAVEN_UNKNOWN_HOST,
    MAVEN_NOT_FOUND,
    MAVEN_DEPENDENCY_NOT_FOUND,

    // %plot.
    PLOT_NEEDS_X,
    PLOT_NEEDS_SLICE,
    PLOT_AT_DIMENSION,
    PLOT_COORD_RANGE,
    PLOT_PARAMETER_COUNT;

    private static final String BUNDLE = "messages.properties";
    private static final Properties TEXTS = load();

    /** The template with {@code {i}} replaced by {@code String.valueOf(arguments[i])}. */
    public String format(Object... arguments) {
        String text = template();
        for (int i = 0; i < arguments.length; i++) {
            text = text.replace("{" + i + "}", String.valueOf(arguments[i]));
        }
        return text;
    }

    /** The template itself. */
    public String template() {
        String template = TEXTS.getProperty(name());
        if (template == null) {
            // Only a build that lost a line of the bundle gets here (MessagesTest guards it); the key still says what.
            return name();
        }
        return template;
    }

    /** The texts of the catalogue, for tests. */
    static Properties texts() {
        return TEXTS;
    }

    private static Properties load() {
        Properties texts = new Properties();
        try (InputStream in = Messages.class.getResourceAsStream(BUNDLE)) {
            if (in != null) {
                texts.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return texts;
    }
}
