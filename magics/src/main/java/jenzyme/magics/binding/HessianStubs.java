package jenzyme.magics.binding;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.lower.RecordShape;

/**
 * The stubs of {@code %autodiff hvp f}: {@code <name>_hvp} takes each parameter and, after each differentiated one
 * (floating scalars and arrays, records holding them), its direction v; it returns H·v in the parameter's own type
 * (an array for an array, a record of the same type for a record, like the gradient records of reverse mode), or
 * for several differentiated parameters a record {@code <Name>Hvp} of those. When every differentiated parameter is
 * an array, {@code <name>_hvp_into} is the allocation-free form writing into caller-given arrays. The handle is
 * {@link jenzyme.runtime.bind.HessianVectorBinder}'s.
 */
public final class HessianStubs {

    private HessianStubs() {}

    /**
     * For {@code double f(double[] p)}: {@code double[] f_hvp(double[] p, double[] v)} and {@code f_hvp_into};
     * {@code receiver} as in {@link BindingStubs#reverse} (read at each call; its direction is a parameter).
     */
    public static BindingStubs.Stubs of(String name, Derivative derivative, String receiver) {
        String holder = BindingStubs.holder(name, "hvp");
        CallingConvention convention = derivative.convention();
        EntryPoint entry = convention.entry();
        String out = GeneratedNames.besideParameters("out$", entry); // the output slots' local
        List<EntryPoint.JavaParameter> differentiated = entry.declared().stream()
                .filter(java -> leaves(java).stream().anyMatch(p -> convention.activities().get(p) != Activity.CONST))
                .toList();
        boolean into = differentiated.stream().allMatch(java -> java.shape() instanceof JavaType type
                && type.isArray());
        BindingStubs.Call call = new BindingStubs.Call();
        List<String> handleArguments = new ArrayList<>();
        List<String> intoArguments = new ArrayList<>(); // the same, the caller's arrays receiving H·v
        List<String> intoResults = new ArrayList<>();
        List<String> allocations = new ArrayList<>();
        List<String> results = new ArrayList<>();
        Map<EntryPoint.JavaParameter, String> directions = new HashMap<>(); // of the objects copied back
        for (EntryPoint.JavaParameter java : entry.declared()) {
            String type = java.shape().javaName();
            if (!java.name().equals(receiver)) {
                call.add(type, java.name());
            }
            if (BindingStubs.isLambda(java)) { // compiled per lambda at the call
                handleArguments.add("(Object) " + java.name());
                intoArguments.add(handleArguments.getLast());
                continue;
            }
            boolean active = differentiated.contains(java);
            String direction = differentiated.size() == 1 ? GeneratedNames.besideParameters("v", entry)
                    : GeneratedNames.prefixed("v", java.name(), entry);
            if (active) {
                call.add(type, direction);
            }
            if (CopiedObjects.isCopied(java)) { // its ObjectLayout's leaves, the number fields copied in and out
                List<String> leafArguments = CopiedObjects.arguments(java);
                Map<String, String> arrays = new HashMap<>(); // H·v of each array field, by leaf name
                for (int k = 0; k < leafArguments.size(); k++) {
                    NativeParameter leaf = entry.parameters().get(java.first() + k);
                    handleArguments.add(leafArguments.get(k));
                    if (convention.activities().get(java.first() + k) == Activity.CONST) {
                        continue; // the long fields, and what the user named Const
                    }
                    if (leaf.name().equals(java.name())) { // the number fields' double[]
                        directions.put(java, direction);
                        handleArguments.add(CopiedObjects.local(direction));
                        handleArguments.add(CopiedObjects.hvLocal(java, entry));
                        continue;
                    }
                    // an array field: the direction object's array along it, H·v into a new array of its length
                    handleArguments.add(RecordStubs.read(java.shape(), direction + leaf.name().substring(
                            java.name().length())));
                    String local = GeneratedNames.besideParameters("hv$" + RecordStubs.local(leaf.name()), entry);
                    allocations.add(BindingStubs.zerosLike(leaf.type(), local, leaf.name(), entry));
                    handleArguments.add(local);
                    arrays.put(leaf.name(), local);
                }
                if (active) {
                    results.add(CopiedObjects.hvObject(java, directions.containsKey(java), arrays, entry));
                }
                continue;
            }
            Map<String, String> values = new HashMap<>();
            for (int p : leaves(java)) {
                NativeParameter leaf = entry.parameters().get(p);
                handleArguments.add(RecordStubs.read(java.shape(), leaf.name()));
                intoArguments.add(handleArguments.getLast());
                if (convention.activities().get(p) == Activity.CONST) {
                    continue;
                }
                handleArguments.add(RecordStubs.read(java.shape(), direction + leaf.name().substring(
                        java.name().length())));
                intoArguments.add(handleArguments.getLast());
                if (leaf.type().isArray()) {
                    String local = GeneratedNames.besideParameters("hv$" + RecordStubs.local(leaf.name()), entry);
                    allocations.add(BindingStubs.zerosLike(leaf.type(), local,
                            RecordStubs.read(java.shape(), leaf.name()), entry));
                    handleArguments.add(local);
                    String result = differentiated.size() == 1 ? GeneratedNames.besideParameters("hv", entry)
                            : GeneratedNames.prefixed("hv", java.name(), entry);
                    intoArguments.add(result); // only used when the parameter is this array itself
                    intoResults.add(java.shape().javaName() + " " + result);
                    values.put(leaf.name(), local);
                } else {
                    values.put(leaf.name(), BindingStubs.slotValue(convention.slots(), convention.adjointSlot(p), out));
                }
            }
            if (!active) {
                continue;
            }
            if (java.shape() instanceof RecordShape record) {
                results.add(RecordStubs.construct(record, java.name(), values));
            } else {
                results.add(values.get(java.name()));
            }
        }
        String source = BindingStubs.holderClass(holder, derivative.handle(), convention.slots().size());
        String check = BindingStubs.receiverCheck(source, receiver, entry);
        List<String> signatures = new ArrayList<>();
        String returned;
        if (differentiated.size() == 1) {
            returned = differentiated.getFirst().shape().javaName();
        } else {
            returned = BindingStubs.capitalised(name) + "Hvp";
            source += "record " + returned + "(" + String.join(", ", differentiated.stream()
                    .map(java -> java.shape().javaName() + " " + GeneratedNames.prefixed("hv", java.name(), entry))
                    .toList()) + ") {}\n";
        }
        String signature = returned + " " + name + "_hvp(" + call.parameterList() + ")";
        signatures.add(signature);
        String invoke = CopiedObjects.hvpCall(entry, directions, BindingStubs.guarded(holder + ".H.invokeExact("
                + String.join(", ", handleArguments) + ", " + out + ");", entry));
        source += signature + " {\n" + check
                + BindingStubs.objectChecks(entry, receiver, List.copyOf(directions.values()))
                + allocations.stream().map(a -> "    " + a + "\n").reduce("", String::concat)
                + "    double[] " + out + " = " + holder + ".OUT.get();\n" + invoke
                + "    return " + (differentiated.size() == 1 ? results.getFirst()
                        : "new " + returned + "(" + String.join(", ", results) + ")") + ";\n}\n";
        if (into && !differentiated.isEmpty()) {
            String intoSignature = "void " + name + "_hvp_into(" + call.parameterList() + ", "
                    + String.join(", ", intoResults) + ")";
            source += intoSignature + " {\n" + check + "    double[] " + out + " = " + holder + ".OUT.get();\n"
                    + BindingStubs.guarded(holder + ".H.invokeExact(" + String.join(", ", intoArguments)
                            + ", " + out + ");", entry) + "}\n";
            signatures.add(intoSignature);
        }
        return new BindingStubs.Stubs(source, signatures);
    }

    /** The native parameters of {@code java}. */
    private static List<Integer> leaves(EntryPoint.JavaParameter java) {
        List<Integer> leaves = new ArrayList<>();
        for (int p = java.first(); p < java.first() + java.leafCount(); p++) {
            leaves.add(p);
        }
        return leaves;
    }
}
