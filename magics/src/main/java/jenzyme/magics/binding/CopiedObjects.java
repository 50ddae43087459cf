package jenzyme.magics.binding;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.RecordShape;

/**
 * Source fragments for an object from the JVM whose fields compiled code writes ({@code lower.ParameterObjects}): the
 * handle takes it as the double[] of its fields in declaration order, and the stub writes the array back into the
 * object's non-final fields in a {@code finally}, so the JVM's object holds what compiled code wrote also when the
 * call throws. Its gradient is the shadow array: the partials with respect to the fields' values at entry.
 */
final class CopiedObjects {

    private CopiedObjects() {}

    /** Whether {@code parameter} is such an object. */
    static boolean isCopied(EntryPoint.JavaParameter parameter) {
        return parameter.shape() instanceof RecordShape shape && shape.isWritten();
    }

    /** The local holding the fields of parameter {@code name} for the call: {@code q$fields}. */
    static String local(String name) {
        return name + "$fields";
    }

    /** {@code double[] q$fields = {q.x, q.count, q.on ? 1 : 0};} */
    static String copyIn(EntryPoint.JavaParameter parameter) {
        RecordShape shape = (RecordShape) parameter.shape();
        return "double[] " + local(parameter.name()) + " = " + shape.components().stream().map(c -> {
            String field = parameter.name() + "." + c.name();
            return c.shape() == JavaType.BOOLEAN ? "(" + field + " ? 1 : 0)" : field;
        }).collect(Collectors.joining(", ", "{", "};"));
    }

    /** {@code q.x = q$fields[0]; q.count = (int) q$fields[1]; ...}: every field that is not final. */
    static String copyOut(EntryPoint.JavaParameter parameter) {
        RecordShape shape = (RecordShape) parameter.shape();
        List<String> writes = new ArrayList<>();
        for (int i = 0; i < shape.components().size(); i++) {
            RecordShape.Component c = shape.components().get(i);
            if (c.isFinal()) {
                continue;
            }
            String value = local(parameter.name()) + "[" + i + "]";
            JavaType type = (JavaType) c.shape();
            writes.add(parameter.name() + "." + c.name() + " = " + switch (type) {
                case BOOLEAN -> value + " != 0";
                case DOUBLE -> value;
                default -> "(" + type.javaName() + ") " + value;
            } + ";");
        }
        return String.join(" ", writes);
    }

    /** {@code statement} (the handle's call, guarded) inside a {@code try} whose {@code finally} copies every object back. */
    static String copiedBack(List<EntryPoint.JavaParameter> copied, String guardedCall) {
        if (copied.isEmpty()) {
            return guardedCall;
        }
        StringBuilder source = new StringBuilder();
        copied.forEach(p -> source.append("    ").append(copyIn(p)).append('\n'));
        source.append("    try {\n").append(guardedCall.indent(4)).append("    } finally {\n");
        copied.forEach(p -> source.append("        ").append(copyOut(p)).append('\n'));
        return source.append("    }\n").toString();
    }

    /**
     * The gradient's partials by native leaf name ({@code q.x} → {@code (float) dq[1]}) for
     * {@link RecordStubs#construct}: floating fields only (an int or boolean field has no partial).
     */
    private static void partials(EntryPoint.JavaParameter parameter, String shadow, Map<String, String> into) {
        RecordShape shape = (RecordShape) parameter.shape();
        for (int i = 0; i < shape.components().size(); i++) {
            RecordShape.Component c = shape.components().get(i);
            if (c.shape() == JavaType.DOUBLE || c.shape() == JavaType.FLOAT) {
                into.put(parameter.name() + "." + c.name(), (c.shape() == JavaType.FLOAT ? "(float) " : "")
                        + shadow + "[" + i + "]");
            }
        }
    }

    /** The length check of {@code _grad_into}'s {@code dq}: compiled code writes one partial per field. */
    private static String shadowCheck(EntryPoint.JavaParameter parameter, String shadow) {
        int fields = ((RecordShape) parameter.shape()).components().size();
        return "if (" + shadow + ".length != " + fields + ") throw new IllegalArgumentException("
                + "jenzyme.runtime.error.Messages.COPIED_OBJECT_GRADIENT.format(\"" + shadow + "\", " + fields
                + ", \"" + parameter.shape().javaName() + "\", " + shadow + ".length));";
    }

    /**
     * Reverse mode ({@link BindingStubs#reverse}): the handle takes the double[] of the fields and, unless Const, its
     * shadow, which {@code _grad_into} takes as {@code double[] dq} (the partials with respect to the fields' values
     * at entry, in declaration order) and {@code _grad} turns into an object of its class (zero for int and boolean
     * fields).
     */
    static void reverse(CallingConvention convention, EntryPoint.JavaParameter java, List<String> handleArguments,
                        List<String> intoParameters, BindingStubs.Call ergonomic, List<String> allocations,
                        List<String> components, List<String> componentValues, List<String> checks) {
        handleArguments.add(local(java.name()));
        if (convention.activities().get(java.first()) == Activity.CONST) {
            return;
        }
        String shadow = "d" + java.name();
        handleArguments.add(shadow);
        intoParameters.add("double[] " + shadow);
        checks.add(shadowCheck(java, shadow));
        String local = shadow + "$";
        allocations.add("double[] " + local + " = new double[" + ((RecordShape) java.shape()).components().size()
                + "];");
        ergonomic.arguments.add(local);
        Map<String, String> partials = new java.util.HashMap<>();
        partials(java, local, partials);
        components.add(java.shape().javaName() + " " + shadow);
        componentValues.add(RecordStubs.construct((RecordShape) java.shape(), java.name(), partials));
    }
}
