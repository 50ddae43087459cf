package jenzyme.runtime.lower;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The exported function of a {@link LoweredModule}: its symbol and how its LLVM signature maps to the Java method.
 * The LLVM signature is {@code ret @symbol(ptr %status, <parameters' llvmTypes in order>)}; see {@link StatusCode}
 * for the status block the first parameter points to.
 *
 * <p>{@code parameters} are the native parameters: a record parameter {@code s} of the Java method is flattened
 * into one per component ({@code s.x}, {@code s.v}, nested records depth first), so that activities, the worker
 * request and the binders see only primitives and primitive arrays. {@code javaParameters} are the parameters as
 * written, for the generated stubs (which take and rebuild the records) and for messages.
 */
public record EntryPoint(String symbol, String ownerInternalName, String methodName, String descriptor,
                         List<NativeParameter> parameters, JavaType returnType, List<JavaParameter> javaParameters)
        implements java.io.Serializable {

    /** A parameter as the user wrote it: its native parameters are {@code parameters[first, first + leaves)}. */
    public record JavaParameter(String name, Shape shape, int first) implements java.io.Serializable {
        public int leafCount() {
            return shape.leaves().size();
        }
    }

    /** LLVM parameter index of the status pointer in every lowered function. */
    public static final int STATUS_PARAMETER_INDEX = 0;

    public EntryPoint {
        parameters = List.copyOf(parameters);
        javaParameters = List.copyOf(javaParameters);
    }

    /** An entry point without record parameters: each native parameter is a Java parameter. */
    public EntryPoint(String symbol, String ownerInternalName, String methodName, String descriptor,
                      List<NativeParameter> parameters, JavaType returnType) {
        this(symbol, ownerInternalName, methodName, descriptor, parameters, returnType, java.util.stream.IntStream
                .range(0, parameters.size()).mapToObj(i -> new JavaParameter(parameters.get(i).name(),
                        parameters.get(i).type(), i)).toList());
    }

    /** Whether a Java parameter is a record (flattened into several native parameters). */
    public boolean hasRecordParameters() {
        return javaParameters.stream().anyMatch(p -> p.shape() instanceof RecordShape);
    }

    /** Number of LLVM parameters, status pointer included. */
    public int llvmParameterCount() {
        return 1 + parameters.stream().mapToInt(NativeParameter::llvmCount).sum();
    }

    /** The LLVM return type: {@code void}, or the single LLVM type of the Java return type. */
    public String llvmReturnType() {
        return returnType == JavaType.VOID ? "void" : returnType.llvmTypes().getFirst();
    }

    /** E.g. {@code double @sym(ptr, double, ptr, i32, i32)}, for messages and dumps. */
    public String llvmSignature() {
        String params = parameters.stream().flatMap(p -> p.llvmTypes().stream()).map(t -> ", " + t)
                .collect(Collectors.joining());
        return llvmReturnType() + " @" + symbol + "(ptr" + params + ")";
    }

    /** E.g. {@code Demo.f(double, double[], int)}, for messages. */
    /** The method as the user wrote it, without its class: {@code f(double[], int)}. */
    public String methodAsWritten() {
        return methodName + javaParameters.stream().map(p -> p.shape().javaName())
                .collect(Collectors.joining(", ", "(", ")"));
    }

    public String javaSignature() {
        return ownerInternalName.replace('/', '.') + "." + methodName + javaParameters.stream()
                .map(p -> p.shape().javaName()).collect(Collectors.joining(", ", "(", ")"));
    }
}
