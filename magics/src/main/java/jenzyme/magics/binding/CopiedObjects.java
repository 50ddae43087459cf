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
        return "double[] " + local(parameter.name()) + " = " + fields((RecordShape) parameter.shape(), parameter.name(),
                false) + ";";
    }

    /** {@code q.x = q$fields[0]; q.count = (int) q$fields[1]; ...}: every field that is not final. */
    static String copyOut(EntryPoint.JavaParameter parameter) {
        return writeBack((RecordShape) parameter.shape(), parameter.name(), local(parameter.name()), false);
    }

    /**
     * {@code {o.x, o.count, ...}}: the fields of object expression {@code object}; for a {@code tangent} object 0 in
     * place of int and boolean fields, which have no tangent.
     */
    private static String fields(RecordShape shape, String object, boolean tangent) {
        return shape.components().stream().map(c -> {
            String field = object + "." + c.name();
            if (c.shape() == JavaType.BOOLEAN) {
                return tangent ? "0" : "(" + field + " ? 1 : 0)";
            }
            return tangent && !isFloating(c) ? "0" : field;
        }).collect(Collectors.joining(", ", "{", "}"));
    }

    /**
     * {@code o.x = a[0]; ...}: array expression {@code array} written back into the non-final fields of
     * {@code object}; for a {@code tangent} object its floating fields only.
     */
    private static String writeBack(RecordShape shape, String object, String array, boolean tangent) {
        List<String> writes = new ArrayList<>();
        for (int i = 0; i < shape.components().size(); i++) {
            RecordShape.Component c = shape.components().get(i);
            if (c.isFinal() || tangent && !isFloating(c)) {
                continue;
            }
            String value = array + "[" + i + "]";
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

    /** {@code statement} (the handle's call, guarded) inside a {@code try} whose {@code finally} copies every object back. */
    static String copiedBack(List<EntryPoint.JavaParameter> copied, String guardedCall) {
        return around(copied.stream().map(CopiedObjects::copyIn).toList(),
                copied.stream().map(CopiedObjects::copyOut).toList(), guardedCall);
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
     * Forward mode ({@link ForwardStubs#forward}): the handle takes the double[] of the fields of each object and,
     * unless Const, of its tangent object {@code tq} (a copy: Enzyme overwrites the array with the tangents of the
     * fields at exit). After the call, also when it throws, the object holds the fields compiled code wrote and the
     * tangent object the tangents of its floating fields, as a tangent array holds those of its array's new values.
     * With {@code batched} ({@code --width N}, {@link ForwardStubs#batchedForward}) {@code tq} is an array of
     * tangent objects, one per lane, and {@code tq$fields} the {@code double[][]} of their fields.
     *
     * @param tangents the copied objects that have a tangent
     */
    static String forwardCall(List<EntryPoint.JavaParameter> copied, List<EntryPoint.JavaParameter> tangents,
                              boolean batched, String guardedCall) {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        for (EntryPoint.JavaParameter parameter : copied) {
            in.add(copyIn(parameter));
            out.add(copyOut(parameter));
            if (!tangents.contains(parameter)) {
                continue;
            }
            RecordShape shape = (RecordShape) parameter.shape();
            String tangent = "t" + parameter.name(), array = local(tangent);
            if (!batched) {
                in.add("double[] " + array + " = " + fields(shape, tangent, true) + ";");
                out.add(writeBack(shape, tangent, array, true));
                continue;
            }
            // as many lanes as given: BatchedForward names a missing one (an index error here would not)
            String lanes = "for (int l$ = 0; l$ < " + tangent + ".length; l$++) ";
            in.add("double[][] " + array + " = new double[" + tangent + ".length][];");
            in.add(lanes + array + "[l$] = new double[] " + fields(shape, tangent + "[l$]", true) + ";");
            out.add(lanes + "{ " + writeBack(shape, tangent + "[l$]", array + "[l$]", true) + " }");
        }
        return around(in, out, guardedCall);
    }

    /**
     * {@code %autodiff hvp} ({@link HessianStubs}): the handle takes the double[] of the fields of each object and,
     * unless Const, of its direction object ({@code directions} gives its name; a copy, since Enzyme's forward pass
     * writes it) and a zeroed array receiving its part of H·v; the fields are copied back after the call, also when
     * it throws. H·v is with respect to the fields' values at entry, like the gradient.
     */
    static String hvpCall(List<EntryPoint.JavaParameter> copied, Map<EntryPoint.JavaParameter, String> directions,
                          String guardedCall) {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        for (EntryPoint.JavaParameter parameter : copied) {
            in.add(copyIn(parameter));
            out.add(copyOut(parameter));
            String direction = directions.get(parameter);
            if (direction != null) {
                RecordShape shape = (RecordShape) parameter.shape();
                in.add("double[] " + local(direction) + " = " + fields(shape, direction, true) + ";");
                in.add("double[] " + hvLocal(parameter) + " = new double[" + shape.components().size() + "];");
            }
        }
        return around(in, out, guardedCall);
    }

    /** The local receiving an object's part of H·v: {@code hv$q}. */
    static String hvLocal(EntryPoint.JavaParameter parameter) {
        return "hv$" + parameter.name();
    }

    /** H·v of such an object as an object of its class, from {@link #hvLocal} (0 in its int and boolean fields). */
    static String hvObject(EntryPoint.JavaParameter parameter) {
        Map<String, String> partials = new java.util.HashMap<>();
        partials(parameter, hvLocal(parameter), partials);
        return RecordStubs.construct((RecordShape) parameter.shape(), parameter.name(), partials);
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
