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

    /**
     * The length of native parameter {@code nativeName} of {@code entry} as a Java expression: for the number
     * fields of such an object ({@code q}) their count, for an array ({@code q.pos}, {@code x}) {@code q.pos.length}.
     */
    static String length(EntryPoint entry, String nativeName) {
        return entry.declared().stream().filter(p -> isCopied(p) && p.name().equals(nativeName)).findFirst()
                .map(p -> String.valueOf(layout(p).numbers().size()))
                .orElseGet(() -> RecordStubs.read(entry, nativeName) + ".length");
    }

    /** {@code double[] q$fields = {q.x, q.count, q.on ? 1 : 0}; long[] q$longs = {q.steps};} (those it has). */
    static String copyIn(EntryPoint.JavaParameter parameter) {
        ObjectLayout layout = layout(parameter);
        List<String> locals = new ArrayList<>();
        if (!layout.numbers().isEmpty()) {
            locals.add("double[] " + local(parameter.name()) + " = " + fields(layout, parameter.name(), false) + ";");
        }
        if (!layout.longs().isEmpty()) {
            locals.add("long[] " + parameter.name() + ObjectLayout.LONGS + " = " + layout.longs().stream()
                    .map(i -> parameter.name() + "." + layout.shape().components().get(i).name())
                    .collect(Collectors.joining(", ", "{", "};")));
        }
        return String.join(" ", locals);
    }

    /** {@code q.x = q$fields[0]; q.count = (int) q$fields[1]; q.steps = q$longs[0];}: every field not final. */
    static String copyOut(EntryPoint.JavaParameter parameter) {
        ObjectLayout layout = layout(parameter);
        List<String> writes = new ArrayList<>(List.of(writeBack(layout, parameter.name(), local(parameter.name()),
                false)));
        for (int k = 0; k < layout.longs().size(); k++) {
            RecordShape.Component c = layout.shape().components().get(layout.longs().get(k));
            if (!c.isFinal()) {
                writes.add(parameter.name() + "." + c.name() + " = " + parameter.name() + ObjectLayout.LONGS + "[" + k
                        + "];");
            }
        }
        writes.removeIf(String::isEmpty);
        return String.join(" ", writes);
    }

    /**
     * {@code {o.x, o.count, ...}}: the number fields of object expression {@code object}; for a {@code tangent}
     * object 0 in place of int and boolean fields, which have no tangent.
     */
    private static String fields(ObjectLayout layout, String object, boolean tangent) {
        return "{" + String.join(", ", values(layout, object, tangent)) + "}";
    }

    /** The elements of {@link #fields}, each the value of one number field as a double. */
    private static List<String> values(ObjectLayout layout, String object, boolean tangent) {
        return layout.numbers().stream().map(i -> {
            RecordShape.Component c = layout.shape().components().get(i);
            String field = object + "." + c.name();
            if (c.shape() == JavaType.BOOLEAN) {
                return tangent ? "0" : "(" + field + " ? 1 : 0)";
            }
            return tangent && !isFloating(c) ? "0" : field;
        }).toList();
    }

    /**
     * {@code o.x = a[0]; ...}: array expression {@code array} (the number fields in order) written back into the
     * non-final fields of {@code object}; for a {@code tangent} object its floating fields only.
     */
    private static String writeBack(ObjectLayout layout, String object, String array, boolean tangent) {
        List<String> writes = new ArrayList<>();
        for (int k = 0; k < layout.numbers().size(); k++) {
            RecordShape.Component c = layout.shape().components().get(layout.numbers().get(k));
            if (c.isFinal() || tangent && !isFloating(c)) {
                continue;
            }
            String value = array + "[" + k + "]";
            JavaType type = (JavaType) c.shape();
            writes.add(object + "." + c.name() + " = " + switch (type) {
                case BOOLEAN -> value + " != 0";
                case DOUBLE -> value;
                default -> "(" + type.javaName() + ") " + value;
            } + ";");
        }
        return String.join(" ", writes);
    }

    private static boolean isFloating(RecordShape.Component c) {
        return c.shape() == JavaType.DOUBLE || c.shape() == JavaType.FLOAT;
    }

    private static String field(EntryPoint.JavaParameter parameter, int index) {
        return parameter.name() + "." + layout(parameter).shape().components().get(index).name();
    }

    private static ObjectLayout layout(EntryPoint.JavaParameter parameter) {
        return new ObjectLayout((RecordShape) parameter.shape());
    }

    /** {@code statement} (the handle's call, guarded) inside a {@code try} whose {@code finally} copies every object back. */
    static String copiedBack(List<EntryPoint.JavaParameter> copied, String guardedCall) {
        return around(copied.stream().map(CopiedObjects::copyIn).toList(),
                copied.stream().map(CopiedObjects::copyOut).toList(), guardedCall);
    }

    /**
     * The holder's per-thread arrays of each object's number and long fields ({@code q$fields}, {@code q$longs}), for
     * {@link #buffered}: a Jacobian's {@code _jac_into} passes the same arrays at every call, so it allocates nothing
     * (not the arrays, and not their heap segments, which {@code bind.ArraySegments} reuses for the same array).
     */
    static String buffers(List<EntryPoint.JavaParameter> copied) {
        StringBuilder members = new StringBuilder();
        for (EntryPoint.JavaParameter parameter : copied) {
            ObjectLayout layout = layout(parameter);
            if (!layout.numbers().isEmpty()) {
                members.append(buffer("double", local(parameter.name()), layout.numbers().size()));
            }
            if (!layout.longs().isEmpty()) {
                members.append(buffer("long", parameter.name() + ObjectLayout.LONGS, layout.longs().size()));
            }
        }
        return members.toString();
    }

    private static String buffer(String type, String name, int length) {
        return "    static final ThreadLocal<" + type + "[]> " + name + " = ThreadLocal.withInitial(() -> new " + type
                + "[" + length + "]);\n";
    }

    /**
     * {@link #copiedBack} with the number and long fields copied into {@code holder}'s per-thread arrays
     * ({@link #buffers}) instead of new ones.
     */
    static String buffered(List<EntryPoint.JavaParameter> copied, String holder, String guardedCall) {
        List<String> in = new ArrayList<>();
        for (EntryPoint.JavaParameter parameter : copied) {
            ObjectLayout layout = layout(parameter);
            String numbers = local(parameter.name()), longs = parameter.name() + ObjectLayout.LONGS;
            if (!layout.numbers().isEmpty()) {
                in.add("double[] " + numbers + " = " + holder + "." + numbers + ".get(); " + assignments(numbers,
                        values(layout, parameter.name(), false)));
            }
            if (!layout.longs().isEmpty()) {
                in.add("long[] " + longs + " = " + holder + "." + longs + ".get(); " + assignments(longs,
                        layout.longs().stream().map(i -> parameter.name() + "." + layout.shape().components().get(i)
                                .name()).toList()));
            }
        }
        return around(in, copied.stream().map(CopiedObjects::copyOut).toList(), guardedCall);
    }

    /** {@code a[0] = v0; a[1] = v1;}. */
    private static String assignments(String array, List<String> values) {
        StringBuilder assignments = new StringBuilder();
        for (int k = 0; k < values.size(); k++) {
            assignments.append(array).append('[').append(k).append("] = ").append(values.get(k)).append("; ");
        }
        return assignments.toString().strip();
    }

    /** {@code guardedCall} after the statements {@code in}, with the statements {@code out} in its {@code finally}. */
    private static String around(List<String> in, List<String> out, String guardedCall) {
        if (in.isEmpty()) {
            return guardedCall;
        }
        StringBuilder source = new StringBuilder();
        in.forEach(s -> source.append("    ").append(s).append('\n'));
        source.append("    try {\n").append(guardedCall.indent(4)).append("    } finally {\n");
        out.forEach(s -> source.append("        ").append(s).append('\n'));
        return source.append("    }\n").toString();
    }

    /**
     * Forward mode ({@link ForwardStubs#forward}): the handle takes the double[] of the number fields of each object
     * and, unless Const, of its tangent object {@code tq} (a copy: Enzyme overwrites the array with the tangents of
     * the fields at exit); its array fields are leaves like any array, their tangents the tangent object's arrays.
     * After the call, also when it throws, the object holds the fields compiled code wrote and the tangent object the
     * tangents of its floating fields, as a tangent array holds those of its array's new values. With {@code batched}
     * ({@code --width N}, {@link ForwardStubs#batchedForward}) {@code tq} is an array of tangent objects, one per
     * lane, and {@code tq$fields} the {@code double[][]} of their fields.
     *
     * @param tangents the copied objects whose number fields have a tangent
     */
    static String forwardCall(EntryPoint entry, List<EntryPoint.JavaParameter> tangents, boolean batched,
                              String guardedCall) {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        for (EntryPoint.JavaParameter parameter : entry.declared().stream().filter(CopiedObjects::isCopied).toList()) {
            in.add(copyIn(parameter));
            out.add(copyOut(parameter));
            if (!tangents.contains(parameter)) {
                continue;
            }
            ObjectLayout layout = layout(parameter);
            String tangent = GeneratedNames.prefixed("t", parameter.name(), entry), array = local(tangent);
            if (!batched) {
                in.add("double[] " + array + " = " + fields(layout, tangent, true) + ";");
                out.add(writeBack(layout, tangent, array, true));
                continue;
            }
            // as many lanes as given: BatchedForward names a missing one (an index error here would not)
            String lane = GeneratedNames.besideParameters("l$", entry);
            String lanes = "for (int " + lane + " = 0; " + lane + " < " + tangent + ".length; " + lane + "++) ";
            String ofLane = tangent + "[" + lane + "]", fieldsOfLane = array + "[" + lane + "]";
            in.add("double[][] " + array + " = new double[" + tangent + ".length][];");
            in.add(lanes + fieldsOfLane + " = new double[] " + fields(layout, ofLane, true) + ";");
            out.add(lanes + "{ " + writeBack(layout, ofLane, fieldsOfLane, true) + " }");
        }
        in.removeIf(String::isEmpty);
        return around(in, out, guardedCall);
    }

    /**
     * {@code %autodiff hvp} ({@link HessianStubs}): the handle takes the double[] of the fields of each object and,
     * unless Const, of its direction object ({@code directions} gives its name; a copy, since Enzyme's forward pass
     * writes it) and a zeroed array receiving its part of H·v; the fields are copied back after the call, also when
     * it throws. H·v is with respect to the fields' values at entry, like the gradient.
     */
    static String hvpCall(EntryPoint entry, Map<EntryPoint.JavaParameter, String> directions, String guardedCall) {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        for (EntryPoint.JavaParameter parameter : entry.declared().stream().filter(CopiedObjects::isCopied).toList()) {
            in.add(copyIn(parameter));
            out.add(copyOut(parameter));
            String direction = directions.get(parameter);
            if (direction != null) {
                ObjectLayout layout = layout(parameter);
                in.add("double[] " + local(direction) + " = " + fields(layout, direction, true) + ";");
                in.add("double[] " + hvLocal(parameter, entry) + " = new double[" + layout.numbers().size() + "];");
            }
        }
        return around(in, out, guardedCall);
    }

    /** The local receiving an object's part of H·v: {@code hv$q} ({@link GeneratedNames#besideParameters}). */
    static String hvLocal(EntryPoint.JavaParameter parameter, EntryPoint entry) {
        return GeneratedNames.besideParameters("hv$" + parameter.name(), entry);
    }

    /**
     * H·v of such an object as an object of its class: its floating number fields from {@link #hvLocal} when
     * {@code numbers} (0 in its int, boolean and long fields), its array fields from {@code arrays} (by leaf name).
     */
    static String hvObject(EntryPoint.JavaParameter parameter, boolean numbers, Map<String, String> arrays,
                           EntryPoint entry) {
        Map<String, String> partials = new java.util.HashMap<>(arrays);
        if (numbers) {
            partials(parameter, hvLocal(parameter, entry), partials);
        }
        return RecordStubs.construct((RecordShape) parameter.shape(), parameter.name(), partials);
    }

    /**
     * The gradient's partials by native leaf name ({@code q.x} → {@code (float) dq[1]}) for
     * {@link RecordStubs#construct}, from array expression {@code shadow} of the number fields in order: floating
     * fields only (an int or boolean field has no partial).
     */
    private static void partials(EntryPoint.JavaParameter parameter, String shadow, Map<String, String> into) {
        ObjectLayout layout = layout(parameter);
        for (int k = 0; k < layout.numbers().size(); k++) {
            RecordShape.Component c = layout.shape().components().get(layout.numbers().get(k));
            if (isFloating(c)) {
                into.put(parameter.name() + "." + c.name(), (c.shape() == JavaType.FLOAT ? "(float) " : "")
                        + shadow + "[" + k + "]");
            }
        }
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
            String shadow = RecordStubs.local(GeneratedNames.prefixed("d", leafName, convention.entry()));
            String local = GeneratedNames.besideParameters(shadow + "$", convention.entry());
            handleArguments.add(shadow);
            intoParameters.add(parameter.type().javaName() + " " + shadow);
            ergonomic.arguments.add(local);
            if (numbers) {
                checks.add(shadowCheck(java, shadow));
                allocations.add("double[] " + local + " = new double[" + layout.numbers().size() + "];");
                partials(java, local, partials);
            } else { // an array field: its shadow, zeroed, of its length
                allocations.add("if (" + leafName + " == null) throw new NullPointerException(\""
                        + jenzyme.runtime.error.Messages.NULL_ARRAY.format(leafName) + "\");");
                allocations.add(BindingStubs.zerosLike(parameter.type(), local, leafName, convention.entry()));
                partials.put(leafName, local);
            }
        }
        if (differentiated) {
            components.add(java.shape().javaName() + " "
                    + GeneratedNames.prefixed("d", java.name(), convention.entry()));
            componentValues.add(RecordStubs.construct(layout.shape(), java.name(), partials));
        }
    }
}
