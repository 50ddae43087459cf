package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.NativeType;
import jenzyme.runtime.ad.OutputSlot;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.lower.RecordShape;
import jenzyme.runtime.error.Messages;

/**
 * The Java source that binds compiled code as ordinary cell methods (docs/MAGICS.md is the contract): a holder
 * class with the handle as a constant, the allocation-free {@code _into} method in Enzyme's convention, and the
 * ergonomic method returning a record. Only source can define methods in JShell; the handles come from
 * {@link BoundHandles}.
 */
public final class BindingStubs {

    /** The generated source and the signatures to show the user. */
    public record Stubs(String source, List<String> signatures) {

        private static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile("BoundHandles\\.take\\(\"([^\"]+)\"\\)");

        /** The {@link BoundHandles} key the holder class reads (every stub source has one holder class). */
        public String handleKey() {
            return keyOf(source);
        }

        /** The {@link BoundHandles} key in {@code source}, the text of a holder class. */
        static String keyOf(String source) {
            java.util.regex.Matcher key = KEY.matcher(source);
            return key.find() ? key.group(1) : "";
        }

        /** Defines the stubs in the notebook; returns how long JShell took (javac dominates it). */
        public java.time.Duration defineIn(jenzyme.magics.NotebookSession notebook) throws jenzyme.magics.DefinitionException {
            long start = System.nanoTime();
            notebook.define(source);
            return java.time.Duration.ofNanos(System.nanoTime() - start);
        }
    }

    private BindingStubs() {}

    /** The base of the generated names ({@code <base>_grad}, ...): {@code requested} if it is a Java identifier. */
    public static String baseName(String requested) {
        if (!javax.lang.model.SourceVersion.isIdentifier(requested) || requested.equals("_")) {
            throw new IllegalArgumentException(Messages.NOT_AN_IDENTIFIER.format(requested));
        }
        // Java lets invisible format characters (bidi overrides such as U+202E, zero-width joiners) into
        // identifiers; they make one name look like another, so a generated name may not contain them.
        int invisible = requested.codePoints().filter(Character::isIdentifierIgnorable).findFirst().orElse(-1);
        if (invisible >= 0) {
            throw new IllegalArgumentException(Messages.INVISIBLE_CHARACTER.format(String.format("%04X", invisible),
                    requested.codePoints()
                    .mapToObj(c -> Character.isIdentifierIgnorable(c) ? String.format("\\u%04X", c) : Character.toString(c))
                    .collect(java.util.stream.Collectors.joining())));
        }
        return requested;
    }

    /**
     * {@code <name>_native}, with the method's own signature (a record parameter passed as its components);
     * {@code receiver} as in {@link #reverse}.
     */
    public static Stubs nativeMethod(String name, EntryPoint entry, MethodHandle handle, String receiver) {
        String holder = holder(name, "native");
        List<String> params = entry.declared().stream().filter(p -> !p.name().equals(receiver))
                .map(p -> p.shape().javaName() + " " + p.name()).toList();
        List<String> args = new ArrayList<>();
        for (EntryPoint.JavaParameter java : entry.declared()) {
            if (isLambda(java)) {
                args.add("(Object) " + java.name()); // compiled per lambda at the call
                continue;
            }
            if (CopiedObjects.isCopied(java)) {
                args.addAll(CopiedObjects.arguments(java));
                continue;
            }
            for (int p = java.first(); p < java.first() + java.leafCount(); p++) {
                args.add(RecordStubs.read(java.shape(), entry.parameters().get(p).name()));
            }
        }
        Optional<RecordShape> record = entry.resultRecord();
        String result = GeneratedNames.besideParameters("r$", entry);
        if (record.isPresent()) {
            args.add(result); // the hidden result array the compiled code fills with the record's doubles
        }
        String returns = record.map(RecordShape::javaName).orElse(entry.returnType().javaName());
        String call = holder + ".H.invokeExact(" + String.join(", ", args) + ")";
        String signature = returns + " " + name + "_native(" + String.join(", ", params) + ")";
        List<EntryPoint.JavaParameter> copied = entry.declared().stream().filter(CopiedObjects::isCopied).toList();
        String body = record.map(r -> "    double[] " + result + " = new double[" + r.leaves().size() + "];\n"
                + CopiedObjects.copiedBack(copied, guarded(call + ";", entry)) + "    return "
                + RecordStubs.fromArray(r, result) + ";\n").orElse(CopiedObjects.copiedBack(copied, guarded(
                entry.returnType() == JavaType.VOID ? call + ";" : "return (" + returns + ") " + call + ";", entry)));
        String holderSource = holderClass(holder, handle);
        String source = holderSource + signature + " {\n" + receiverCheck(holderSource, receiver, entry)
                + objectChecks(entry, receiver, List.of()) + body + "}\n";
        return new Stubs(source, List.of(signature));
    }

    /**
     * Reverse mode: {@code <name>_grad} (a record) and the allocation-free {@code <name>_grad_into}; for a method
     * returning {@code double[]} the vector-Jacobian product {@code <name>_vjp(..., double[] ybar)} and
     * {@code <name>_vjp_into}, the output's cotangent {@code ybar} last. A record
     * parameter {@code s} is passed as its components; its gradient {@code ds} is a record of the same type whose
     * components hold the partials (arrays: the shadow arrays; in {@code _into}, a record {@code ds} whose array
     * components receive them, its scalar partials going to {@code dActive} like those of scalar parameters).
     *
     * @param receiver the notebook variable holding an instance method's receiver ({@code %autodiff reverse
     *                 model.loss}, see {@link Receivers}): no parameter of the stubs, read at each call; "" if none
     */
    public static Stubs reverse(String name, Derivative derivative, String receiver) {
        String holder = holder(name, "reverse");
        CallingConvention convention = derivative.convention();
        EntryPoint entry = convention.entry();
        boolean vector = entry.returnsArray();
        String kind = vector ? "_vjp" : "_grad";
        String dActive = GeneratedNames.besideParameters("dActive", entry), ybar = GeneratedNames.besideParameters("ybar",
                entry);
        // the stubs' own locals: _grad's partials of the Active scalars, _grad_into's output slots, _grad's value
        String activesLocal = GeneratedNames.besideParameters("dActive$", entry);
        String out = GeneratedNames.besideParameters("out$", entry);
        String value = GeneratedNames.besideParameters("value$", entry);
        List<OutputSlot> slots = convention.slots();
        List<String> intoParameters = new ArrayList<>();
        List<String> handleArguments = new ArrayList<>();
        Call ergonomic = new Call();
        List<String> allocations = new ArrayList<>();
        List<String> components = new ArrayList<>();
        List<String> componentValues = new ArrayList<>();
        List<String> adjointCopies = new ArrayList<>();
        List<String> checks = new ArrayList<>();
        for (EntryPoint.JavaParameter java : entry.declared()) {
            String type = java.shape().javaName();
            if (!java.name().equals(receiver)) { // the receiver is the notebook variable, read at each call
                intoParameters.add(type + " " + java.name());
                ergonomic.add(type, java.name());
            }
            if (isLambda(java)) {
                handleArguments.add("(Object) " + java.name()); // compiled per lambda at the call (no gradient)
                continue;
            }
            if (CopiedObjects.isCopied(java)) {
                CopiedObjects.reverse(convention, java, handleArguments, intoParameters, ergonomic, allocations, components,
                        componentValues, checks);
                continue;
            }
            boolean differentiated = false;
            boolean shadowed = false;
            Map<String, String> gradientLeaves = new HashMap<>();
            for (int p = java.first(); p < java.first() + java.leafCount(); p++) {
                NativeParameter leaf = entry.parameters().get(p);
                handleArguments.add(RecordStubs.read(java.shape(), leaf.name()));
                if (convention.activities().get(p) == Activity.CONST) {
                    continue;
                }
                differentiated = true;
                if (convention.hasShadow(p)) {
                    shadowed = true;
                    String gradient = GeneratedNames.prefixed("d", leaf.name(), entry);
                    handleArguments.add(RecordStubs.read(java.shape(), gradient));
                    String local = RecordStubs.local(gradient);
                    String array = RecordStubs.read(java.shape(), leaf.name());
                    // JShell compiles stubs without parameter names: the JVM's own NPE would say "<parameter1>"
                    allocations.add("if (" + array + " == null) throw new NullPointerException(\""
                            + Messages.NULL_ARRAY.format(array) + "\");");
                    allocations.add(zerosLike(leaf.type(), local, array, entry));
                    gradientLeaves.put(leaf.name(), local);
                } else {
                    int slot = convention.adjointSlot(p);
                    String cast = leaf.type() == JavaType.FLOAT ? "(float) " : "";
                    gradientLeaves.put(leaf.name(), cast + activesLocal + "[" + adjointCopies.size() + "]");
                    adjointCopies.add(dActive + "[" + adjointCopies.size() + "] = " + slotValue(slots, slot, out) + ";");
                }
            }
            if (!differentiated) {
                continue;
            }
            String shadow = GeneratedNames.prefixed("d", java.name(), entry);
            components.add(type + " " + shadow);
            if (java.shape() instanceof JavaType) {
                componentValues.add(gradientLeaves.get(java.name()));
                if (shadowed) {
                    intoParameters.add(type + " " + shadow);
                    ergonomic.arguments.add(gradientLeaves.get(java.name()));
                }
                continue;
            }
            RecordShape record = (RecordShape) java.shape();
            // through the record's constructor (there is no other way): a validating one may refuse a partial
            componentValues.add("jenzyme.magics.binding.GradientRecords.build(() -> "
                    + RecordStubs.construct(record, java.name(), gradientLeaves) + ", \"" + java.name() + "\", \""
                    + record.javaName() + "\", () -> \"" + partialsText(gradientLeaves, activesLocal, entry) + "\")");
            if (shadowed) {
                // _into receives the shadow arrays in a record of the parameter's type; its scalars are not read.
                intoParameters.add(type + " " + shadow);
                Map<String, String> arraysOnly = new HashMap<>(gradientLeaves);
                arraysOnly.replaceAll((leaf, partial) -> partial.contains(activesLocal + "[") ? "0" : partial);
                String shadowLocal = RecordStubs.local(shadow) + "$in";
                allocations.add(type + " " + shadowLocal + " = " + RecordStubs.construct(record, java.name(), arraysOnly)
                        + ";");
                ergonomic.arguments.add(shadowLocal);
            }
        }
        int actives = adjointCopies.size();
        if (actives > 0) {
            intoParameters.add("double[] " + dActive); // filled from the slots, not passed to the handle
            ergonomic.arguments.add(activesLocal);
            allocations.add("double[] " + activesLocal + " = new double[" + actives + "];");
        }
        if (vector) { // the hidden result array and its shadow, seeded with a copy of ybar (Enzyme consumes it)
            intoParameters.add("double[] " + ybar);
            handleArguments.addAll(List.of("new double[" + ybar + ".length]", ybar + ".clone()"));
            // a record result's cotangent is a record of its type, given to _vjp_into as its doubles
            entry.resultRecord().ifPresentOrElse(record -> {
                ergonomic.parameters.add(record.javaName() + " " + ybar);
                ergonomic.arguments.add(RecordStubs.toArray(record, ybar));
            }, () -> ergonomic.add("double[]", ybar));
        }
        JavaType returnType = entry.returnType();
        boolean returnsValue = returnType != JavaType.VOID && !vector;
        String head = (returnsValue ? returnType.javaName() : "void") + " " + name + kind;
        String parameterList = "(" + String.join(", ", intoParameters) + ")";
        String intoSignature = head + "_into" + parameterList;
        // with f_grad_set, one handle serves both stubs: its first argument picks the form (OverwritingCalls)
        Optional<MethodHandle> choosing = OverwritingCalls.choosing(derivative, receiver);
        StringBuilder source = new StringBuilder(holderClass(holder, choosing.orElse(derivative.handle()),
                slots.size()));
        String check = receiverCheck(source.toString(), receiver, entry);
        BiConsumer<String, String> stub = (signature, form) -> {
            source.append(signature).append(" {\n").append(check).append(objectChecks(entry, receiver, List.of()));
            if (actives > 0) {
                source.append("    if (").append(dActive).append(".length < ").append(actives)
                        .append(") throw new IllegalArgumentException(jenzyme.runtime.error.Messages.DACTIVE_LENGTH"
                                + ".format(\"").append(dActive).append("\", ").append(actives).append(", ")
                        .append(dActive).append(".length));\n");
            }
            checks.forEach(c -> source.append("    ").append(c).append('\n'));
            source.append("    double[] ").append(out).append(" = ").append(holder).append(".OUT.get();\n")
                    .append(CopiedObjects.copiedBack(entry.declared().stream().filter(CopiedObjects::isCopied).toList(),
                            guarded(holder + ".H.invokeExact(" + form + String.join(", ", handleArguments)
                                    + ", " + out + ");", entry)));
            adjointCopies.forEach(copy -> source.append("    ").append(copy).append('\n'));
            if (returnsValue) {
                source.append("    return ").append(slotValue(slots, convention.primalSlot(), out)).append(";\n");
            }
            source.append("}\n");
        };
        stub.accept(intoSignature, choosing.isPresent() ? "false, " : "");
        List<String> signatures = new ArrayList<>(List.of(intoSignature));
        if (choosing.isPresent()) {
            String setSignature = head + "_set" + parameterList;
            stub.accept(setSignature, "true, ");
            signatures.add(setSignature);
        }
        if (returnsValue || vector) {
            String record = capitalised(name) + (vector ? "Vjp" : "Gradient");
            String signature = record + " " + name + kind + "(" + ergonomic.parameterList() + ")";
            List<String> fields = new ArrayList<>(components);
            if (returnsValue) {
                fields.addFirst(returnType.javaName() + " value");
                componentValues.addFirst(value);
            }
            source.append("record ").append(record).append("(").append(String.join(", ", fields))
                    .append(") {}\n").append(signature).append(" {\n").append(check);
            allocations.forEach(a -> source.append("    ").append(a).append('\n'));
            source.append("    ").append(returnsValue ? returnType.javaName() + " " + value + " = " : "").append(name)
                    .append(kind).append("_into(").append(ergonomic.argumentList()).append(");\n")
                    .append("    return new ").append(record).append("(").append(String.join(", ", componentValues))
                    .append(");\n}\n");
            signatures.addFirst(signature);
        }
        return new Stubs(source.toString(), signatures);
    }

    /**
     * Null checks of the objects whose fields a stub copies ({@link CopiedObjects}): each such parameter but the
     * receiver (checked by {@link #receiverCheck}) and the tangent or direction objects {@code others} name. Without
     * them JShell's NullPointerException would name {@code <parameter2>} (it compiles stubs without parameter names).
     */
    static String objectChecks(EntryPoint entry, String receiver, List<String> others) {
        List<String> names = new ArrayList<>(entry.declared().stream().filter(CopiedObjects::isCopied)
                .map(EntryPoint.JavaParameter::name).filter(name -> !name.equals(receiver)).toList());
        names.addAll(others);
        return names.stream().map(name -> "    if (" + name + " == null) throw new NullPointerException(\""
                + Messages.NULL_ARRAY.format(name) + "\");\n").collect(java.util.stream.Collectors.joining());
    }

    /** The receiver's null check opening each stub of {@code holderSource}'s holder ({@link Receivers#check}). */
    static String receiverCheck(String holderSource, String receiver, EntryPoint entry) {
        return Receivers.check(Stubs.keyOf(holderSource), receiver, entry.methodName());
    }

    /** The JVM's own call of the entry method: {@code f(args)}, or {@code model.f(args)} on a receiver. */
    static String jvmCall(EntryPoint entry, String receiver, String arguments) {
        return (receiver.isEmpty() ? "" : receiver + ".") + entry.methodName() + "(" + arguments + ")";
    }

    /** Parameters of a generated method and the arguments it passes on, in step. */
    static final class Call {
        final List<String> parameters = new ArrayList<>();
        final List<String> arguments = new ArrayList<>();

        void add(String type, String name) {
            parameters.add(type + " " + name);
            arguments.add(name);
        }

        String parameterList() {
            return String.join(", ", parameters);
        }

        String argumentList() {
            return String.join(", ", arguments);
        }
    }

    /** A functional-interface parameter: the handle takes the lambda itself and compiles per target at the call. */
    static boolean isLambda(EntryPoint.JavaParameter parameter) {
        return parameter.shape() instanceof RecordShape shape && shape.isFunctional();
    }

    static String holder(String name, String kind) {
        return name + "$" + kind;
    }

    static String holderClass(String holder, MethodHandle handle) {
        return holderClass(holder, handle, -1);
    }

    /**
     * The handle as a constant; with {@code slots >= 0} also a per-thread buffer for the wrapper's output slots, so
     * that the hot path allocates nothing (the buffer goes to native code, so escape analysis cannot remove it).
     */
    static String holderClass(String holder, MethodHandle handle, int slots) {
        return holderClass(holder, handle, slots < 0 ? "" : "    static final ThreadLocal<double[]> OUT = "
                + "ThreadLocal.withInitial(() -> new double[" + slots + "]);\n");
    }

    /** The handle as a constant, and {@code members} (declarations of the holder's other static fields). */
    static String holderClass(String holder, MethodHandle handle, String members) {
        return "final class " + holder + " {\n"
                + "    static final java.lang.invoke.MethodHandle H = jenzyme.magics.binding.BoundHandles.take(\""
                + BoundHandles.put(holder, handle) + "\");\n"
                + members
                + "    private " + holder + "() {}\n"
                + "}\n";
    }

    /**
     * invokeExact declares Throwable; what compiled code raises is unchecked, anything else is a binding bug. The
     * catch parameters are named beside {@code entry}'s parameters ({@link GeneratedNames#besideParameters}).
     */
    static String guarded(String statement, EntryPoint entry) {
        String unchecked = GeneratedNames.besideParameters("e$", entry);
        String checked = GeneratedNames.besideParameters("t$", entry);
        return "    try {\n        " + statement + "\n    } catch (RuntimeException | Error " + unchecked + ") {\n"
                + "        throw " + unchecked + ";\n    } catch (Throwable " + checked + ") {\n"
                + "        throw new IllegalStateException(" + checked + ");\n    }\n";
    }

    /** Slot {@code index} of the slots' local {@code out}: a double as it is, a float read from its first 4 bytes. */
    static String slotValue(List<OutputSlot> slots, int index, String out) {
        return slots.get(index).type() == NativeType.FLOAT
                ? "jenzyme.runtime.ad.OutputSlot.floatAt(" + out + ", " + index + ")" : out + "[" + index + "]";
    }

    /**
     * Java text of a string expression {@code "dr.k = " + dActive$[0] + ", ..."} for a refused gradient record;
     * {@code actives} is the local holding the Active scalars' partials.
     */
    private static String partialsText(Map<String, String> gradientLeaves, String actives, EntryPoint entry) {
        return gradientLeaves.keySet().stream().sorted().map(leaf -> {
            String value = gradientLeaves.get(leaf);
            String text = value.contains(actives + "[") ? value : "java.util.Arrays.toString(" + value + ")";
            return GeneratedNames.prefixed("d", leaf, entry) + " = \" + " + text + " + \"";
        }).collect(java.util.stream.Collectors.joining(", "));
    }

    static String capitalised(String name) {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    /**
     * {@code T local = } a zeroed array of {@code array}'s shape: as long, or for a two-dimensional array as many rows
     * of the same lengths (a null row stays null, so that the binding names it).
     */
    static String zerosLike(JavaType type, String local, String array, EntryPoint entry) {
        if (!type.isMatrix()) {
            String element = type.javaClass().getComponentType().getName();
            return type.javaName() + " " + local + " = new " + element + "[" + array + ".length];";
        }
        String element = type.row().javaClass().getComponentType().getName();
        String row = GeneratedNames.besideParameters("i$", entry);
        return type.javaName() + " " + local + " = new " + element + "[" + array + ".length][];\n    for (int " + row
                + " = 0; " + row + " < " + local + ".length; " + row + "++) " + local + "[" + row + "] = " + array
                + "[" + row + "] == null ? null : new " + element + "[" + array + "[" + row + "].length];";
    }
}
