package jenzyme.magics.binding;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.lower.ObjectLayout;
import jenzyme.runtime.lower.RecordShape;

/**
 * Source fragments for an object from the JVM whose fields compiled code writes ({@code lower.ParameterObjects}): the
 * handle takes it by its {@link ObjectLayout} (a {@code double[]} of its number fields, a {@code long[]} of its long
 * fields, its array fields as they are), and the stub writes the two arrays of values back into the object's
 * non-final fields in a {@code finally}, so the JVM's object holds what compiled code wrote also when the call
 * throws (its arrays are its own, written in place). Its gradient is the shadows: the {@code double[]}'s holds the
 * partials with respect to the number fields' values at entry, each array field's shadow those of its elements.
 */
final class CopiedObjects {

    private CopiedObjects() {}

    /** Whether {@code parameter} is such an object. */
    static boolean isCopied(EntryPoint.JavaParameter parameter) {
        return ObjectLayout.isCopied(parameter.shape());
    }

    /** The local holding the number fields of parameter {@code name} for the call: {@code q$fields}. */
    static String local(String name) {
        return name + "$fields";
    }

    /** The handle's arguments for {@code parameter}, one per leaf of its layout: {@code q$fields, q$longs, q.pos}. */
    static List<String> arguments(EntryPoint.JavaParameter parameter) {
        ObjectLayout layout = layout(parameter);
        List<String> arguments = new ArrayList<>();
        if (!layout.numbers().isEmpty()) {
            arguments.add(local(parameter.name()));
        }
        if (!layout.longs().isEmpty()) {
            arguments.add(parameter.name() + ObjectLayout.LONGS);
        }
        layout.arrays().forEach(i -> arguments.add(field(parameter, i)));
        return arguments;
    }

    /** {@code double[] q$fields = {q.x, q.count, q.on ? 1 : 0}; long[] q$longs = {q.steps};} (those it has). */
    static String copyIn(EntryPoint.JavaParameter parameter) {
        ObjectLayout layout = layout(parameter);
        List<String> locals = new ArrayList<>();
        if (!layout.numbers().isEmpty()) {
            locals.add("double[] " + local(parameter.name()) + " = " + layout.numbers().stream().map(i -> {
                RecordShape.Component c = layout.shape().components().get(i);
                return c.shape() == JavaType.BOOLEAN ? "(" + field(parameter, i) + " ? 1 : 0)" : field(parameter, i);
            }).collect(Collectors.joining(", ", "{", "};")));
        }
        if (!layout.longs().isEmpty()) {
            locals.add("long[] " + parameter.name() + ObjectLayout.LONGS + " = " + layout.longs().stream()
                    .map(i -> field(parameter, i)).collect(Collectors.joining(", ", "{", "};")));
        }
        return String.join(" ", locals);
    }

    /** {@code q.x = q$fields[0]; q.count = (int) q$fields[1]; q.steps = q$longs[0];}: every field not final. */
    static String copyOut(EntryPoint.JavaParameter parameter) {
        ObjectLayout layout = layout(parameter);
        List<String> writes = new ArrayList<>();
        for (int k = 0; k < layout.numbers().size(); k++) {
            int i = layout.numbers().get(k);
            String value = local(parameter.name()) + "[" + k + "]";
            JavaType type = (JavaType) layout.shape().components().get(i).shape();
            writes.add(assignment(parameter, i, switch (type) {
                case BOOLEAN -> value + " != 0";
                case DOUBLE -> value;
                default -> "(" + type.javaName() + ") " + value;
            }));
        }
        for (int k = 0; k < layout.longs().size(); k++) {
            writes.add(assignment(parameter, layout.longs().get(k), parameter.name() + ObjectLayout.LONGS + "[" + k + "]"));
        }
        writes.removeIf(String::isEmpty);
        return String.join(" ", writes);
    }

    /** {@code q.field = value;}, or "" for a final field (the JVM's object keeps it, and compiled code cannot write it). */
    private static String assignment(EntryPoint.JavaParameter parameter, int field, String value) {
        RecordShape.Component c = layout(parameter).shape().components().get(field);
        return c.isFinal() ? "" : field(parameter, field) + " = " + value + ";";
    }

    private static String field(EntryPoint.JavaParameter parameter, int index) {
        return parameter.name() + "." + layout(parameter).shape().components().get(index).name();
    }

    private static ObjectLayout layout(EntryPoint.JavaParameter parameter) {
        return new ObjectLayout((RecordShape) parameter.shape());
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

    /** The length check of {@code _grad_into}'s {@code dq}: compiled code writes one partial per number field. */
    private static String shadowCheck(EntryPoint.JavaParameter parameter, String shadow) {
        int fields = layout(parameter).numbers().size();
        return "if (" + shadow + ".length != " + fields + ") throw new IllegalArgumentException("
                + "jenzyme.runtime.error.Messages.COPIED_OBJECT_GRADIENT.format(\"" + shadow + "\", " + fields
                + ", \"" + parameter.shape().javaName() + "\", " + shadow + ".length));";
    }

    /**
     * Reverse mode ({@link BindingStubs#reverse}): the handle takes the layout's leaves and, for those not Const,
     * their shadows, which {@code _grad_into} takes as {@code double[] dq} (the partials with respect to the number
     * fields' values at entry, in declaration order) and {@code double[] dq$pos} per differentiated array field, and
     * {@code _grad} turns into an object of its class (zero for int and boolean fields).
     */
    static void reverse(CallingConvention convention, EntryPoint.JavaParameter java, List<String> handleArguments,
                        List<String> intoParameters, BindingStubs.Call ergonomic, List<String> allocations,
                        List<String> components, List<String> componentValues, List<String> checks) {
        ObjectLayout layout = layout(java);
        List<String> arguments = arguments(java);
        Map<String, String> partials = new java.util.HashMap<>();
        boolean differentiated = false;
        for (int leaf = 0; leaf < arguments.size(); leaf++) {
            handleArguments.add(arguments.get(leaf));
            NativeParameter parameter = convention.entry().parameters().get(java.first() + leaf);
            if (convention.activities().get(java.first() + leaf) == Activity.CONST) {
                continue;
            }
            differentiated = true;
            String leafName = parameter.name();
            boolean numbers = leafName.equals(java.name());
            String shadow = "d" + RecordStubs.local(leafName);
            String local = shadow + "$";
            handleArguments.add(shadow);
            intoParameters.add(parameter.type().javaName() + " " + shadow);
            ergonomic.arguments.add(local);
            if (numbers) {
                checks.add(shadowCheck(java, shadow));
                allocations.add("double[] " + local + " = new double[" + layout.numbers().size() + "];");
                for (int k = 0; k < layout.numbers().size(); k++) {
                    RecordShape.Component c = layout.shape().components().get(layout.numbers().get(k));
                    if (c.shape() == JavaType.DOUBLE || c.shape() == JavaType.FLOAT) {
                        partials.put(java.name() + "." + c.name(), (c.shape() == JavaType.FLOAT ? "(float) " : "")
                                + local + "[" + k + "]");
                    }
                }
            } else { // an array field: its shadow, zeroed, of its length
                allocations.add("if (" + leafName + " == null) throw new NullPointerException(\""
                        + jenzyme.runtime.error.Messages.NULL_ARRAY.format(leafName) + "\");");
                allocations.add(BindingStubs.zerosLike(parameter.type(), local, leafName));
                partials.put(leafName, local);
            }
        }
        if (differentiated) {
            components.add(java.shape().javaName() + " d" + java.name());
            componentValues.add(RecordStubs.construct(layout.shape(), java.name(), partials));
        }
    }
}
