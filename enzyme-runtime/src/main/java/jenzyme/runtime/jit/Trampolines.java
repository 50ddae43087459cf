package jenzyme.runtime.jit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import jenzyme.runtime.llvm.HostTarget;
import jenzyme.runtime.llvm.LlvmModules.Signature;

/**
 * The entry points of a module whose code comes in two tiers ({@link OrcJit}): entry {@code f} calls whatever
 * {@code f.slot} points to, first the quick code {@code f.quick}, and from the moment it is stored there the fully
 * optimised {@code f.full}. The binder's downcall handles keep the address of {@code f} throughout, and a call already
 * inside the quick code finishes there (both tiers live until the module is released).
 */
final class Trampolines {

    static final String QUICK = ".quick";
    static final String FULL = ".full";
    static final String SLOT = ".slot";

    private static final VarHandle ADDRESS = ValueLayout.JAVA_LONG.varHandle();

    private Trampolines() {}

    /** Points the slot at {@code slot} to {@code code}, with release semantics (the entries load it acquiring). */
    static void point(long slot, long code) {
        ADDRESS.setRelease(MemorySegment.ofAddress(slot).reinterpret(Long.BYTES), 0L, code);
    }

    /** The IR text of one module defining each entry's slot (pointing at its quick code) and forwarding function. */
    static String ir(Map<String, Signature> entries, HostTarget host) {
        StringBuilder ir = new StringBuilder()
                .append("target datalayout = \"").append(host.dataLayout()).append("\"\n")
                .append("target triple = \"").append(host.triple()).append("\"\n");
        entries.forEach((name, signature) -> forwarder(ir, name, signature));
        return ir.toString();
    }

    private static void forwarder(StringBuilder ir, String name, Signature signature) {
        String parameters = String.join(", ", signature.parameterTypes());
        String arguments = IntStream.range(0, signature.parameterTypes().size())
                .mapToObj(i -> signature.parameterTypes().get(i) + " %a" + i).collect(Collectors.joining(", "));
        String type = signature.returnType();
        ir.append("@\"").append(name).append(SLOT).append("\" = global ptr @\"").append(name).append(QUICK)
                .append("\", align 8\n")
                .append("declare ").append(type).append(" @\"").append(name).append(QUICK).append("\"(")
                .append(parameters).append(")\n")
                .append("define ").append(type).append(" @\"").append(name).append("\"(").append(arguments)
                .append(") {\n")
                // acquire: a call that sees the full code's address sees that code (stored with release)
                .append("  %code = load atomic ptr, ptr @\"").append(name).append(SLOT).append("\" acquire, align 8\n")
                .append(type.equals("void") ? "  " : "  %result = ").append("tail call ").append(type)
                .append(" %code(").append(arguments).append(")\n")
                .append(type.equals("void") ? "  ret void\n" : "  ret " + type + " %result\n")
                .append("}\n");
    }
}
