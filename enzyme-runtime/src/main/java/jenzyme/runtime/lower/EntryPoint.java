package jenzyme.runtime.lower;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The exported function of a {@link LoweredModule}: its symbol and how its LLVM signature maps to the Java method.
 * The LLVM signature is {@code ret @symbol(ptr %status, <parameters' llvmTypes in order>)}; see {@link StatusCode}
 * for the status block the first parameter points to. A method returning {@code double[]} returns void and has one
 * more, hidden, parameter {@link #RESULT_NAME}: the caller's result array, which the method fills (so every
 * derivative mode treats it as the out-parameter form {@code void f(double[] x, double[] result)}); so does a
 * method returning a record of doubles, its leaves in the array ({@link #resultRecord()}).
 *
 * <p>{@code parameters} are the native parameters: a record parameter {@code s} of the Java method is flattened
 * into one per component ({@code s.x}, {@code s.v}, nested records depth first), so that activities, the worker
 * request and the binders see only primitives and primitive arrays. {@code declared} are the parameters as
 * written, for the generated stubs (which take and rebuild the records) and for messages. The static fields compiled
 * code reads follow all those as hidden arguments ({@link #fields()}).
 *
 * <p>{@code writtenArrays}: by LLVM index, the floating arrays (parameters, their records' components, static fields)
 * that compiled code writes with computed values and reads back, with where it writes them ({@link ScratchArrays}).
 * When such a one-dimensional array is Const, its derivative request marks it scratch so that the path through it is
 * kept ({@code jenzyme.runtime.ad.Argument#scratch}); a two-dimensional one is refused Const.
 *
 * <p>{@code statefulArrays}: the LLVM indices of the arrays of any element type (parameters, their records'
 * components, static fields) that compiled code stores anything into and also reads, also found by {@link
 * ScratchArrays}: state that a second run of the method starts from changed by the first (an accumulator, a counter
 * {@code calls[0]++}), which a Jacobian's sweeps restore.
 */
public record EntryPoint(String symbol, String ownerInternalName, String methodName, String descriptor,
                         List<NativeParameter> parameters, JavaType returnType, List<JavaParameter> declared,
                         List<FieldParameter> fields, Shape result,
                         java.util.Map<Integer, WrittenArray> writtenArrays, java.util.Set<Integer> statefulArrays)
        implements java.io.Serializable {

    /** A parameter as the user wrote it: its native parameters are {@code parameters[first, first + leaves)}. */
    public record JavaParameter(String name, Shape shape, int first) implements java.io.Serializable {
        public int leafCount() {
            return ObjectLayout.isCopied(shape) ? new ObjectLayout((RecordShape) shape).leaves().size()
                    : shape.leaves().size();
        }
    }

    /** LLVM parameter index of the status pointer in every lowered function. */
    public static final int STATUS_PARAMETER_INDEX = 0;

    /** The name of the hidden result parameter of a method returning an array (not a Java identifier users write). */
    public static final String RESULT_NAME = "result$";

    public EntryPoint {
        parameters = List.copyOf(parameters);
        declared = List.copyOf(declared);
        fields = List.copyOf(fields);
        writtenArrays = java.util.Map.copyOf(writtenArrays);
        statefulArrays = java.util.Set.copyOf(statefulArrays);
    }

    /** An entry point none of whose arrays compiled code writes and reads back. */
    public EntryPoint(String symbol, String ownerInternalName, String methodName, String descriptor,
                      List<NativeParameter> parameters, JavaType returnType, List<JavaParameter> declared,
                      List<FieldParameter> fields, Shape result) {
        this(symbol, ownerInternalName, methodName, descriptor, parameters, returnType, declared, fields, result,
                java.util.Map.of(), java.util.Set.of());
    }

    /** Where compiled code writes a computed value into an array it also reads: the method and the line. */
    public record WrittenArray(MethodRef method, int line) implements java.io.Serializable {}

    /** An entry point whose result is its {@code returnType}: a number, void or an array, not a record. */
    public EntryPoint(String symbol, String ownerInternalName, String methodName, String descriptor,
                      List<NativeParameter> parameters, JavaType returnType, List<JavaParameter> declared,
                      List<FieldParameter> fields) {
        this(symbol, ownerInternalName, methodName, descriptor, parameters, returnType, declared, fields, returnType);
    }

    /**
     * The record the method returns when it returns one (of doubles only): the hidden result array then holds its
     * leaves depth first ({@link RecordShape#leafNames}), and {@link #returnType()} is {@code double[]}.
     */
    public java.util.Optional<RecordShape> resultRecord() {
        return result instanceof RecordShape record ? java.util.Optional.of(record) : java.util.Optional.empty();
    }

    /** An entry point that reads no static field. */
    public EntryPoint(String symbol, String ownerInternalName, String methodName, String descriptor,
                      List<NativeParameter> parameters, JavaType returnType, List<JavaParameter> declared) {
        this(symbol, ownerInternalName, methodName, descriptor, parameters, returnType, declared, List.of());
    }

    /** An entry point without record parameters: each native parameter is a Java parameter. */
    public EntryPoint(String symbol, String ownerInternalName, String methodName, String descriptor,
                      List<NativeParameter> parameters, JavaType returnType) {
        this(symbol, ownerInternalName, methodName, descriptor, parameters, returnType, java.util.stream.IntStream
                .range(0, parameters.size() - (returnType.isArray() ? 1 : 0)).mapToObj(i -> new JavaParameter(parameters.get(i).name(),
                        parameters.get(i).type(), i)).toList());
    }

    /**
     * The first parameter (or receiver) that is an object from the JVM whose fields compiled code writes: passed by
     * its {@link ObjectLayout} and copied back after the call ({@code lower.ParameterObjects}).
     */
    public java.util.Optional<JavaParameter> copiedObject() {
        return declared.stream().filter(p -> ObjectLayout.isCopied(p.shape())).findFirst();
    }

    /** Whether a Java parameter is a record (flattened into several native parameters). */
    public boolean hasRecordParameters() {
        return declared.stream().anyMatch(p -> p.shape() instanceof RecordShape);
    }

    /** Number of LLVM parameters, status pointer and hidden field arguments included. */
    public int llvmParameterCount() {
        return 1 + parameters.stream().mapToInt(NativeParameter::llvmCount).sum()
                + fields.stream().mapToInt(FieldParameter::llvmCount).sum();
    }

    /** The LLVM return type: {@code void}, or the single LLVM type of the Java return type. */
    public String llvmReturnType() {
        return returnType == JavaType.VOID || returnsArray() ? "void" : returnType.llvmTypes().getFirst();
    }

    /** Whether the method returns an array, through the hidden last parameter {@link #RESULT_NAME}. */
    public boolean returnsArray() {
        return returnType.isArray();
    }

    /** The parameters the user wrote: {@link #parameters()} without the hidden result array. */
    public List<NativeParameter> javaParameters() {
        return returnsArray() ? parameters.subList(0, parameters.size() - 1) : parameters;
    }

    /** E.g. {@code double @sym(ptr, double, ptr, i32, i32)}, for messages and dumps. */
    public String llvmSignature() {
        String params = java.util.stream.Stream.concat(parameters.stream().flatMap(p -> p.llvmTypes().stream()),
                fields.stream().flatMap(f -> f.field().type().llvmTypes().stream())).map(t -> ", " + t)
                .collect(Collectors.joining());
        return llvmReturnType() + " @" + symbol + "(ptr" + params + ")";
    }

    /** E.g. {@code Demo.f(double, double[], int)}, for messages. */
    /** The method as the user wrote it, without its class: {@code f(double[], int)}. */
    public String methodAsWritten() {
        return methodName + declared.stream().map(p -> p.shape().javaName())
                .collect(Collectors.joining(", ", "(", ")"));
    }

    public String javaSignature() {
        return ownerInternalName.replace('/', '.') + "." + methodName + declared.stream()
                .map(p -> p.shape().javaName()).collect(Collectors.joining(", ", "(", ")"));
    }
}
