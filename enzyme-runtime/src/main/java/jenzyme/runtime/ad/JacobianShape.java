package jenzyme.runtime.ad;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.FieldParameter;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.lower.ObjectLayout;

/**
 * Which array of a vector function is its input x and which its output y, for the Jacobian dy/dx: the output is
 * the returned {@code double[]} (the hidden {@link EntryPoint#RESULT_NAME} parameter), else {@code --out} or the last
 * {@code double[]} parameter of a void method; the input is {@code --wrt} or the first other {@code double[]}
 * parameter (an instance method's receiver's array fields only when named). Every other parameter is Const. The {@link CallingConvention} of each sweep is this shape's
 * {@link #activities()} applied as overrides.
 *
 * <p>An object from the JVM whose fields compiled code writes ({@link ObjectLayout}) is never x or y unless named:
 * {@code --wrt q} makes x its number fields at entry (the {@code double[]} leaf, declaration order), {@code --wrt
 * q.pos} one of its {@code double[]} fields at entry; {@code --out q} or {@code --out q.pos} make y their values at
 * exit. Its other {@code double[]} leaves are Duplicated with zero shadows in every sweep ({@link #carried}).
 *
 * @param input  index (in {@link EntryPoint#parameters()}) of x
 * @param output index of y
 */
public record JacobianShape(EntryPoint entry, int input, int output) {

    /** @throws DifferentiationException in the user's words when the method has no such input or output */
    public static JacobianShape of(EntryPoint entry, Optional<String> wrt, Optional<String> out) {
        List<NativeParameter> parameters = entry.parameters();
        int output;
        if (entry.returnsArray()) {
            output = parameters.size() - 1;
        } else if (entry.returnType() != JavaType.VOID) {
            throw refused(entry, Messages.JACOBIAN_OUTPUT.format(entry.methodName(), entry.methodAsWritten()));
        } else if (out.isPresent()) {
            output = named(entry, "out", out.get());
        } else {
            output = lastArray(entry);
            if (output < 0 || java.util.stream.IntStream.range(0, parameters.size())
                    .filter(p -> byDefault(entry, p)).count() < 2) {
                throw refused(entry, Messages.JACOBIAN_OUTPUT.format(entry.methodName(), entry.methodAsWritten())
                        + objectHint(entry, "out"));
            }
        }
        int input = wrt.isPresent() ? named(entry, "wrt", wrt.get()) : firstArrayBut(entry, output);
        if (input < 0) {
            throw refused(entry, Messages.JACOBIAN_INPUT.format(entry.methodAsWritten(), objectHint(entry, "wrt")));
        }
        if (input == output) {
            throw refused(entry, Messages.JACOBIAN_SAME.format(entry.methodAsWritten(), parameters.get(input).name()));
        }
        refuseWrittenMatrices(entry);
        return new JacobianShape(entry, input, output);
    }

    /**
     * A two-dimensional array (a parameter or a static field) that compiled code writes and reads is state the
     * sweeps would have to restore row by row: refused, naming it, rather than each sweep seeing the previous ones'
     * writes.
     */
    private static void refuseWrittenMatrices(EntryPoint entry) {
        for (NativeParameter parameter : entry.parameters()) {
            if (parameter.type().isMatrix() && entry.statefulArrays().contains(parameter.llvmIndex())) {
                throw refused(entry, Messages.JACOBIAN_WRITTEN_MATRIX.format(parameter.name(),
                        parameter.type().javaName()));
            }
        }
        for (FieldParameter field : entry.fields()) {
            if (field.field().type().isMatrix() && entry.statefulArrays().contains(field.llvmIndex())) {
                throw refused(entry, Messages.JACOBIAN_WRITTEN_MATRIX.format(field.field().javaName(),
                        field.field().type().javaName()));
            }
        }
    }

    /**
     * The overrides of every sweep: x and y Duplicated, and the {@code double[]} fields of objects from the JVM
     * ({@link #carried}), the rest Const.
     */
    public Map<String, Activity> activities() {
        Map<String, Activity> activities = new LinkedHashMap<>();
        Set<Integer> carried = carried();
        for (int p = 0; p < entry.parameters().size(); p++) {
            activities.put(entry.parameters().get(p).name(),
                    p == input || p == output || carried.contains(p) ? Activity.DUPLICATED : Activity.CONST);
        }
        return activities;
    }

    /** Indices of the native parameters that are leaves of objects from the JVM, x and y among them if they are. */
    public Set<Integer> copiedLeaves() {
        return copiedLeaves(entry);
    }

    private static Set<Integer> copiedLeaves(EntryPoint entry) {
        Set<Integer> leaves = new TreeSet<>();
        entry.declared().stream().filter(p -> ObjectLayout.isCopied(p.shape()))
                .forEach(p -> java.util.stream.IntStream.range(p.first(), p.first() + p.leafCount())
                        .forEach(leaves::add));
        return leaves;
    }

    /**
     * Indices of the native parameters every sweep must find as they were at the call's entry: the leaves of objects
     * from the JVM ({@link #copiedLeaves}) and the one-dimensional arrays of any element type that compiled code
     * stores into and reads ({@link EntryPoint#statefulArrays}: an in/out accumulator {@code acc[i] += x[i]}, a
     * counter {@code calls[0]++}, x or y updated in place). Each sweep runs the whole method, so without restoring
     * them the second sweep would read what the first wrote. Arrays only read, or only written, come out the same
     * from every sweep and are not copied; nor is the hidden result array, which the method fills. For a method
     * taking lambdas, whose code is only known per lambda site, every one-dimensional array parameter is restored.
     */
    public Set<Integer> restoredBetweenSweeps() {
        Set<Integer> restored = new TreeSet<>(copiedLeaves());
        boolean everyArray = takesLambdas(entry);
        for (int p = 0; p < entry.javaParameters().size(); p++) {
            NativeParameter parameter = entry.parameters().get(p);
            if (parameter.type().isArray() && !parameter.type().isMatrix()
                    && (everyArray || entry.statefulArrays().contains(parameter.llvmIndex()))) {
                restored.add(p); // matrices are refused (refuseWrittenMatrices)
            }
        }
        return restored;
    }

    /**
     * The static array fields (notebook variables, a cell class's arrays: hidden arguments read at each call) that
     * compiled code stores into and reads, restored between sweeps like {@link #restoredBetweenSweeps}.
     */
    public List<FieldParameter> restoredFields() {
        return entry.fields().stream().filter(f -> f.field().type().isArray()
                && entry.statefulArrays().contains(f.llvmIndex())).toList();
    }

    /**
     * For a method taking lambdas ({@code entry} unspecialised): refuses the specialisation for a lambda site that
     * writes and reads back what the sweeps do not restore, an array the lambda captured or a static array (or a
     * two-dimensional array), naming it, rather than each sweep starting from the previous sweeps' writes.
     *
     * @throws DifferentiationException in the user's words
     */
    public void refuseUnrestored(EntryPoint specialised) {
        refuseWrittenMatrices(specialised);
        Set<String> parameters = new java.util.HashSet<>();
        entry.parameters().forEach(p -> parameters.add(p.name()));
        for (NativeParameter parameter : specialised.parameters()) {
            if (parameter.type().isArray() && !parameters.contains(parameter.name())
                    && specialised.statefulArrays().contains(parameter.llvmIndex())) {
                throw refused(specialised, Messages.JACOBIAN_LAMBDA_STATE.format(parameter.name(),
                        parameter.type().javaName()));
            }
        }
        for (FieldParameter field : specialised.fields()) {
            if (field.field().type().isArray() && specialised.statefulArrays().contains(field.llvmIndex())) {
                throw refused(specialised, Messages.JACOBIAN_LAMBDA_STATE.format(field.field().javaName(),
                        field.field().type().javaName()));
            }
        }
    }

    /** Whether the method takes lambdas (functional-interface parameters), as {@code LambdaDispatch} sees it. */
    private static boolean takesLambdas(EntryPoint entry) {
        return entry.declared().stream().anyMatch(p -> p.shape() instanceof jenzyme.runtime.lower.RecordShape shape
                && shape.isFunctional());
    }

    /**
     * Whether the method is known to write state a JVM call would change: an object from the JVM, an array parameter
     * or a static array it writes and reads back. Not the parameters a method taking lambdas has restored only
     * because its code is known per lambda site ({@link #restoredBetweenSweeps}): what such a site writes is not known
     * before its first call.
     */
    public boolean writesState() {
        return !copiedLeaves().isEmpty() || !restoredFields().isEmpty() || entry.javaParameters().stream()
                .anyMatch(p -> p.type().isArray() && entry.statefulArrays().contains(p.llvmIndex()));
    }

    /**
     * Indices of the {@code double[]} leaves of objects from the JVM other than x and y (its number fields' array,
     * its {@code double[]} fields): Duplicated, each sweep passing a zeroed shadow whose values after the sweep
     * nobody reads (the Jacobian's rows are y's). A Const array would drop the derivatives of values the method
     * writes into it and reads back, and would hold differentiated values at exit.
     */
    public Set<Integer> carried() {
        Set<Integer> carried = new TreeSet<>(copiedLeaves());
        carried.removeIf(p -> p == input || p == output || entry.parameters().get(p).type() != JavaType.DOUBLE_ARRAY);
        return carried;
    }

    public NativeParameter inputParameter() {
        return entry.parameters().get(input);
    }

    public NativeParameter outputParameter() {
        return entry.parameters().get(output);
    }

    private static int named(EntryPoint entry, String option, String name) {
        List<NativeParameter> parameters = entry.javaParameters();
        for (int p = 0; p < parameters.size(); p++) {
            if (parameters.get(p).name().equals(name) && parameters.get(p).type() == JavaType.DOUBLE_ARRAY) {
                return p;
            }
        }
        throw refused(entry, Messages.JACOBIAN_NOT_ARRAY.format(option, entry.methodAsWritten(), name));
    }

    /**
     * Whether parameter {@code p} may be x or y without being named: a {@code double[]} parameter of the method, not an
     * array field of an instance method's receiver ({@code this.w}: its fields are the model, x and y its arguments)
     * nor a leaf of an object from the JVM ({@code q}, {@code q.pos}: its fields are state the method carries).
     */
    private static boolean byDefault(EntryPoint entry, int p) {
        NativeParameter parameter = entry.parameters().get(p);
        return parameter.type() == JavaType.DOUBLE_ARRAY && !parameter.name().startsWith("this.")
                && !copiedLeaves(entry).contains(p);
    }

    /** How to name the fields of an object from the JVM as x or y, when the method takes one; else "". */
    private static String objectHint(EntryPoint entry, String option) {
        return entry.copiedObject().map(p -> Messages.JACOBIAN_OBJECT_FIELDS.format(p.name(), p.shape().javaName(),
                option)).orElse("");
    }

    private static int lastArray(EntryPoint entry) {
        for (int p = entry.parameters().size() - 1; p >= 0; p--) {
            if (byDefault(entry, p)) {
                return p;
            }
        }
        return -1;
    }

    private static int firstArrayBut(EntryPoint entry, int output) {
        for (int p = 0; p < entry.parameters().size(); p++) {
            if (p != output && byDefault(entry, p)) {
                return p;
            }
        }
        return -1;
    }

    private static DifferentiationException refused(EntryPoint entry, String problem) {
        return DifferentiationException.refused(entry.methodAsWritten(), problem);
    }
}
