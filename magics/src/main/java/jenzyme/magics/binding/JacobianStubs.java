package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.stream.Stream;
import jenzyme.runtime.Jacobian;
import jenzyme.runtime.lower.EntryPoint;

/** The stubs of {@code %autodiff jacobian f}: {@code <name>_jac} and {@code <name>_jac_into} (docs/MAGICS.md). */
public final class JacobianStubs {

    private JacobianStubs() {}

    /**
     * {@code double[][] <name>_jac(...)} and the allocation-free {@code <name>_jac_into(..., double[][] jacobian)}:
     * the method's own parameters; {@code into} is the Jacobian's {@code (double[][], Object[])void} evaluator.
     * {@code entry} is the Jacobian's, its receiver (if any) named {@code receiver} as in
     * {@link BindingStubs#reverse}. An object from the JVM whose fields compiled code writes is passed by its layout
     * and written back once after the call ({@link CopiedObjects#copiedBack}); with one, or an array parameter other
     * than x and y that the method writes ({@code acc[i] += x[i]}), a method returning an array binds {@code _jac_into}
     * only ({@code _jac} sizes the Jacobian by calling the method on the JVM, which would write the object or the
     * array twice).
     */
    public static BindingStubs.Stubs of(String name, Jacobian jacobian, EntryPoint entry, MethodHandle into,
                                        String receiver) {
        String holder = BindingStubs.holder(name, "jacobian");
        BindingStubs.Call call = new BindingStubs.Call();
        // the parameters as written (a record stays a record); the evaluator takes their native leaves
        entry.declared().stream().filter(p -> !p.name().equals(receiver))
                .forEach(p -> call.add(p.shape().javaName(), p.name()));
        List<String> leaves = entry.declared().stream().flatMap(p -> BindingStubs.isLambda(p) ? Stream.of(p.name())
                : CopiedObjects.isCopied(p) ? CopiedObjects.arguments(p).stream()
                : entry.parameters().subList(p.first(), p.first() + p.leafCount()).stream()
                .map(leaf -> RecordStubs.read(p.shape(), leaf.name()))).toList();
        List<EntryPoint.JavaParameter> copied = entry.declared().stream().filter(CopiedObjects::isCopied).toList();
        // by index: entry names a receiver's fields through its variable, the Jacobian's shape through this
        String x = CopiedObjects.length(entry, entry.parameters().get(jacobian.shape().input()).name());
        String rows = entry.resultRecord().isPresent() ? String.valueOf(entry.resultRecord().get().leaves().size())
                : entry.returnsArray() ? BindingStubs.jvmCall(entry, receiver, call.argumentList()) + ".length"
                : CopiedObjects.length(entry, entry.parameters().get(jacobian.shape().output()).name());
        String jacobianName = GeneratedNames.besideParameters("jacobian", entry); // the result, beside the parameters
        String intoSignature = "void " + name + "_jac_into(" + call.parameterList()
                + (call.parameters.isEmpty() ? "" : ", ") + "double[][] " + jacobianName + ")";
        String signature = "double[][] " + name + "_jac(" + call.parameterList() + ")";
        // The evaluator's arguments go in a per-thread array, not a new Object[] per call: Jacobian.into copies
        // what it needs from them before its first sweep (and its own per-thread scratch rules out nesting anyway).
        String holderSource = BindingStubs.holderClass(holder, into, CopiedObjects.buffers(copied)
                + "    static final ThreadLocal<Object[]> ARGUMENTS$ = ThreadLocal.withInitial(() -> new Object["
                + leaves.size() + "]);\n");
        String argumentsLocal = GeneratedNames.besideParameters("arguments$", entry);
        StringBuilder arguments = new StringBuilder("    Object[] " + argumentsLocal + " = " + holder
                + ".ARGUMENTS$.get();\n");
        for (int k = 0; k < leaves.size(); k++) {
            arguments.append("    ").append(argumentsLocal).append("[").append(k).append("] = ")
                    .append(leaves.get(k)).append(";\n");
        }
        String check = BindingStubs.receiverCheck(holderSource, receiver, entry);
        String source = holderSource
                + intoSignature + " {\n" + check + BindingStubs.objectChecks(entry, receiver, List.of())
                + CopiedObjects.buffered(copied, holder, arguments + BindingStubs.guarded(holder
                        + ".H.invokeExact(" + jacobianName + ", " + argumentsLocal + ");", entry)) + "}\n";
        // the copied objects' leaves and the written arrays: what a JVM call to size the result would write
        if (entry.returnsArray() && jacobian.shape().writesState()) {
            return new BindingStubs.Stubs(source, List.of(intoSignature));
        }
        source += signature + " {\n" + check + "    double[][] " + jacobianName + " = new double[" + rows + "][" + x
                + "];\n    " + name + "_jac_into(" + call.argumentList() + ", " + jacobianName + ");\n    return "
                + jacobianName + ";\n}\n";
        return new BindingStubs.Stubs(source, List.of(signature, intoSignature));
    }
}
