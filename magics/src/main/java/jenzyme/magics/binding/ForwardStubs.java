package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.OutputSlot;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;

/**
 * The forward-mode stubs (docs/MAGICS.md): {@code <name>_fwd} with tangents, its batched form for {@code --width N},
 * and the Jacobian-vector product {@code <name>_jvp} of a method returning {@code double[]}. The holder class and
 * the shared pieces are {@link BindingStubs}'.
 */
public final class ForwardStubs {

    private ForwardStubs() {}

    /**
     * Forward mode: {@code <name>_fwd} with a tangent after each non-Const parameter; for a method returning
     * {@code double[]} the Jacobian-vector product {@code <name>_jvp} (value and tangent of the result) and
     * {@code <name>_jvp_into(..., double[] y, double[] ty)}. The tangent of a
     * record is a record of the same type (components that are Const are not read). {@code receiver} as in
     * {@link BindingStubs#reverse}.
     */
    public static BindingStubs.Stubs forward(String name, Derivative derivative, String receiver) {
        if (derivative.entry().returnsArray()) {
            return jacobianVectorProduct(name, derivative, receiver);
        }
        String holder = BindingStubs.holder(name, "forward");
        CallingConvention convention = derivative.convention();
        EntryPoint entry = convention.entry();
        List<OutputSlot> slots = convention.slots();
        List<String> parameters = new ArrayList<>();
        List<String> handleArguments = new ArrayList<>();
        List<EntryPoint.JavaParameter> tangents = new ArrayList<>();
        for (EntryPoint.JavaParameter java : entry.declared()) {
            String type = java.shape().javaName();
            if (!java.name().equals(receiver)) { // the receiver is the notebook variable, read at each call
                parameters.add(type + " " + java.name());
            }
            if (BindingStubs.isLambda(java)) {
                handleArguments.add("(Object) " + java.name());
                continue;
            }
            if (leafArguments(convention, java, handleArguments).any()) {
                parameters.add(type + " " + GeneratedNames.prefixed("t", java.name(), entry));
                tangents.add(java);
            }
        }
        JavaType returnType = entry.returnType();
        String record = BindingStubs.capitalised(name) + "Tangent";
        boolean returnsValue = returnType != JavaType.VOID;
        String signature = (returnsValue ? record : "void") + " " + name + "_fwd(" + String.join(", ", parameters) + ")";
        StringBuilder source = new StringBuilder(BindingStubs.holderClass(holder, derivative.handle(), slots.size()));
        String check = BindingStubs.receiverCheck(source.toString(), receiver, entry);
        if (returnsValue) {
            String type = returnType.javaName();
            source.append("record ").append(record).append("(").append(type).append(" value, ").append(type)
                    .append(" dvalue) {}\n");
        }
        String out = GeneratedNames.besideParameters("out$", entry);
        source.append(signature).append(" {\n").append(check)
                .append(BindingStubs.objectChecks(entry, receiver, tangentNames(tangents, entry)))
                .append("    double[] ").append(out).append(" = ").append(holder).append(".OUT.get();\n")
                .append(CopiedObjects.forwardCall(entry, tangents,
                        false, BindingStubs.guarded(holder + ".H.invokeExact(" + String.join(", ", handleArguments)
                                + ", " + out + ");", entry)));
        if (returnsValue) {
            source.append("    return new ").append(record).append("(")
                    .append(BindingStubs.slotValue(slots, convention.primalSlot(), out)).append(", ")
                    .append(BindingStubs.slotValue(slots, convention.returnTangentSlot(), out)).append(");\n");
        }
        source.append("}\n");
        return new BindingStubs.Stubs(source.toString(), List.of(signature));
    }

    /**
     * Batched forward mode ({@code --width N}): {@code <Name>Tangents <name>_fwd(...)} with N tangents after each
     * differentiated parameter ({@code double[][]} for an array, {@code double[]} for a scalar, an array of N
     * records or objects for a record or object), returning the value and the N directional derivatives, through
     * {@link jenzyme.runtime.BatchedForward#into}. {@code receiver} as in {@link BindingStubs#reverse}.
     */
    public static BindingStubs.Stubs batchedForward(String name, jenzyme.runtime.BatchedForward batched,
                                                    String receiver) {
        String holder = BindingStubs.holder(name, "forward");
        CallingConvention convention = batched.derivative().convention();
        EntryPoint entry = convention.entry();
        int width = batched.width();
        List<String> parameters = new ArrayList<>();
        List<String> arguments = new ArrayList<>(); // per handle parameter: a leaf, then its N tangents
        List<EntryPoint.JavaParameter> tangentObjects = new ArrayList<>();
        for (EntryPoint.JavaParameter java : entry.declared()) {
            String type = java.shape().javaName();
            if (!java.name().equals(receiver)) {
                parameters.add(type + " " + java.name());
            }
            if (BindingStubs.isLambda(java)) {
                arguments.add(java.name()); // compiled per lambda at the call
                continue;
            }
            boolean tangent = false;
            for (int p = java.first(); p < java.first() + java.leafCount(); p++) {
                NativeParameter leaf = entry.parameters().get(p);
                // an object copied back: its leaf named like it is the double[] of its number fields (lanes: double[][])
                boolean fields = CopiedObjects.isCopied(java) && entry.parameters().get(p).name().equals(java.name());
                arguments.add(fields ? CopiedObjects.local(java.name()) : RecordStubs.read(java.shape(), leaf.name()));
                if (!convention.hasShadow(p)) {
                    continue;
                }
                tangent = true;
                String tangents = GeneratedNames.prefixed("t", leaf.name(), entry);
                if (fields) {
                    tangents = CopiedObjects.local(GeneratedNames.prefixed("t", java.name(), entry));
                    tangentObjects.add(java);
                } else if (java.shape() instanceof jenzyme.runtime.lower.RecordShape) {
                    // the leaf of each of the N tangent records, gathered into the lanes BatchedForward takes
                    String suffix = leaf.name().substring(java.name().length());
                    List<String> lanes = new ArrayList<>();
                    for (int lane = 0; lane < width; lane++) {
                        lanes.add(RecordStubs.read(java.shape(), GeneratedNames.prefixed("t", java.name(), entry)
                                + "[" + lane + "]" + suffix));
                    }
                    tangents = "new " + leaf.type().javaName() + "[] {" + String.join(", ", lanes) + "}";
                }
                arguments.add(tangents);
            }
            if (tangent) { // N tangents: double[][] of an array, double[] of a scalar, T[] of a record
                parameters.add(type + "[] " + GeneratedNames.prefixed("t", java.name(), entry));
            }
        }
        MethodHandle into;
        try {
            into = java.lang.invoke.MethodHandles.lookup().findVirtual(jenzyme.runtime.BatchedForward.class, "into",
                    java.lang.invoke.MethodType.methodType(double.class, double[].class, Object[].class))
                    .bindTo(batched).asFixedArity();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        StaleBindings.alias(into, batched.derivative().handle());
        String record = BindingStubs.capitalised(name) + "Tangents";
        String signature = record + " " + name + "_fwd(" + String.join(", ", parameters) + ")";
        String holderSource = BindingStubs.holderClass(holder, into);
        String value = GeneratedNames.besideParameters("value$", entry);
        String derivatives = GeneratedNames.besideParameters("dvalue$", entry);
        String source = holderSource
                + "record " + record + "(double value, double[] dvalue) {}\n"
                + signature + " {\n" + BindingStubs.receiverCheck(holderSource, receiver, entry)
                + BindingStubs.objectChecks(entry, receiver, tangentNames(tangentObjects, entry))
                + "    double[] " + derivatives + " = new double[" + width + "];\n    double " + value + " = 0;\n"
                + CopiedObjects.forwardCall(entry, tangentObjects, true, BindingStubs.guarded(value + " = (double) "
                        + holder + ".H.invokeExact(" + derivatives + ", new Object[] {" + String.join(", ", arguments)
                        + "});", entry))
                + "    return new " + record + "(" + value + ", " + derivatives + ");\n}\n";
        return new BindingStubs.Stubs(source, List.of(signature));
    }

    private static BindingStubs.Stubs jacobianVectorProduct(String name, Derivative derivative, String receiver) {
        String holder = BindingStubs.holder(name, "forward");
        CallingConvention convention = derivative.convention();
        EntryPoint entry = convention.entry();
        BindingStubs.Call call = new BindingStubs.Call();
        List<String> values = new ArrayList<>();
        List<String> handleArguments = new ArrayList<>();
        List<EntryPoint.JavaParameter> tangents = new ArrayList<>(); // of the objects copied back
        for (EntryPoint.JavaParameter java : entry.declared()) {
            if (!java.name().equals(receiver)) { // the receiver is the notebook variable, read at each call
                call.add(java.shape().javaName(), java.name());
                values.add(java.name());
            }
            if (BindingStubs.isLambda(java)) {
                handleArguments.add("(Object) " + java.name());
                continue;
            }
            Tangents tangent = leafArguments(convention, java, handleArguments);
            if (tangent.ofFields()) {
                tangents.add(java);
            }
            if (tangent.any()) {
                call.add(java.shape().javaName(), GeneratedNames.prefixed("t", java.name(), entry));
            }
        }
        List<EntryPoint.JavaParameter> copied = entry.declared().stream().filter(CopiedObjects::isCopied).toList();
        String ergonomic = call.argumentList();
        // f's value and J·t go to y and ty, y_ and ty_ when f has a parameter y (a vector field's own y, tangent ty)
        String y = GeneratedNames.besideParameters("y", entry), ty = GeneratedNames.besideParameters("ty", entry);
        call.add("double[]", y);
        call.add("double[]", ty);
        handleArguments.addAll(List.of(y, ty));
        String record = BindingStubs.capitalised(name) + "Jvp";
        String into = "void " + name + "_jvp_into(" + call.parameterList() + ")";
        String signature = record + " " + name + "_jvp(" + call.parameters.subList(0, call.parameters.size() - 2)
                .stream().reduce((a, b) -> a + ", " + b).orElse("") + ")";
        // a record result: value and tangent records of its type (the _into form keeps their doubles in arrays)
        java.util.Optional<jenzyme.runtime.lower.RecordShape> result = entry.resultRecord();
        String type = result.map(jenzyme.runtime.lower.RecordShape::javaName).orElse("double[]");
        String holderSource = BindingStubs.holderClass(holder, derivative.handle(), convention.slots().size());
        String check = BindingStubs.receiverCheck(holderSource, receiver, entry);
        String out = GeneratedNames.besideParameters("out$", entry), rows = GeneratedNames.besideParameters("m$", entry);
        String source = holderSource
                + into + " {\n" + check + BindingStubs.objectChecks(entry, receiver, tangentNames(tangents, entry))
                + "    double[] " + out + " = " + holder + ".OUT.get();\n"
                + CopiedObjects.forwardCall(entry, tangents, false, BindingStubs.guarded(holder + ".H.invokeExact("
                        + String.join(", ", handleArguments) + ", " + out + ");", entry)) + "}\n";
        if (result.isEmpty() && !copied.isEmpty()) {
            // _jvp sizes y by calling the JVM's method, which would write the object a second time
            return new BindingStubs.Stubs(source, List.of(into));
        }
        source += "record " + record + "(" + type + " value, " + type + " dvalue) {}\n"
                + signature + " {\n" + check
                + "    int " + rows + " = " + result.map(r -> String.valueOf(r.leaves().size())).orElse(
                        BindingStubs.jvmCall(entry, receiver, String.join(", ", values)) + ".length") + ";\n"
                + "    double[] " + y + " = new double[" + rows + "], " + ty + " = new double[" + rows + "];\n"
                + "    " + name + "_jvp_into(" + ergonomic + ", " + y + ", " + ty + ");\n"
                + "    return new " + record + "(" + result.map(r -> RecordStubs.fromArray(r, y) + ", "
                        + RecordStubs.fromArray(r, ty)).orElse(y + ", " + ty) + ");\n}\n";
        return new BindingStubs.Stubs(source, List.of(signature, into));
    }

    /** Whether any leaf of a parameter has a tangent, and whether the number fields of an object copied back do. */
    private record Tangents(boolean any, boolean ofFields) {}

    /**
     * Adds to {@code handleArguments} each leaf of {@code java} and, after each leaf with a tangent, that tangent:
     * the leaf of the tangent parameter {@code t<name>}, or, for the leaf of an object copied back named like it (the
     * double[] of its number fields, ObjectLayout), the copy of its tangent object's fields.
     */
    private static Tangents leafArguments(CallingConvention convention, EntryPoint.JavaParameter java,
                                          List<String> handleArguments) {
        boolean any = false, ofFields = false;
        for (int p = java.first(); p < java.first() + java.leafCount(); p++) {
            String leaf = convention.entry().parameters().get(p).name();
            boolean fields = CopiedObjects.isCopied(java) && leaf.equals(java.name());
            handleArguments.add(fields ? CopiedObjects.local(java.name()) : RecordStubs.read(java.shape(), leaf));
            if (convention.hasShadow(p)) {
                any = true;
                ofFields |= fields;
                EntryPoint entry = convention.entry();
                handleArguments.add(fields ? CopiedObjects.local(GeneratedNames.prefixed("t", java.name(), entry))
                        : RecordStubs.read(java.shape(), GeneratedNames.prefixed("t", leaf, entry)));
            }
        }
        return new Tangents(any, ofFields);
    }

    /** {@code tq} of each object copied back among {@code tangents}. */
    private static List<String> tangentNames(List<EntryPoint.JavaParameter> tangents, EntryPoint entry) {
        return tangents.stream().filter(CopiedObjects::isCopied)
                .map(java -> GeneratedNames.prefixed("t", java.name(), entry)).toList();
    }
}
