package jenzyme.runtime.lower;

import java.util.List;

/**
 * Output of {@link BytecodeLowering}, input of the Enzyme worker and of {@code OrcJit}: an LLVM module (bitcode and
 * its textual form) in which {@link #entry()} is the only externally visible function; every other lowered method
 * it calls is internal. Immutable: the bitcode is copied in and out.
 */
public final class LoweredModule {

    private final String moduleName;
    private final byte[] bitcode;
    private final String irText;
    private final EntryPoint entry;
    private final List<String> loweredMethods;
    private final List<MethodRef> jvmCalls;

    LoweredModule(String moduleName, byte[] bitcode, String irText, EntryPoint entry, List<String> loweredMethods,
                  List<MethodRef> jvmCalls) {
        this.moduleName = moduleName;
        this.bitcode = bitcode.clone();
        this.irText = irText;
        this.entry = entry;
        this.loweredMethods = List.copyOf(loweredMethods);
        this.jvmCalls = List.copyOf(jvmCalls);
    }

    public String moduleName() {
        return moduleName;
    }

    public byte[] bitcode() {
        return bitcode.clone();
    }

    /** The module as LLVM assembly, for dumps and error messages. */
    public String irText() {
        return irText;
    }

    public EntryPoint entry() {
        return entry;
    }

    /** {@code owner.name(descriptor)} of every method lowered into this module, the entry first. */
    public List<String> loweredMethods() {
        return loweredMethods;
    }

    /**
     * The JVM methods the code calls back through FFM upcalls ({@link DerivativeRule#inJvm()}), each under the
     * symbol {@link RuntimeSymbols#jvmCall}; the JIT must define those, and the code must never run in a critical
     * downcall (an upcall from one is not allowed).
     */
    public List<MethodRef> jvmCalls() {
        return jvmCalls;
    }

    /** Whether the code calls back into the JVM: upcalls to JVM methods, or the rule-failure hook of any rule. */
    public boolean callsBack() {
        return !jvmCalls.isEmpty() || irText.contains(RuntimeSymbols.RULE_FAILED);
    }

    /**
     * This module with reassociation and contraction allowed on its floating-point arithmetic ({@code --fast-math};
     * see {@link jenzyme.runtime.llvm.FastMath}).
     */
    public LoweredModule withFastMath() {
        jenzyme.runtime.llvm.FastMath.Relaxed relaxed = jenzyme.runtime.llvm.FastMath.relax(bitcode, moduleName);
        return new LoweredModule(moduleName, relaxed.bitcode(), relaxed.irText(), entry, loweredMethods,
                jvmCalls);
    }

    @Override
    public String toString() {
        return "LoweredModule[" + moduleName + ", entry " + entry.llvmSignature() + ", " + bitcode.length
                + " bytes of bitcode, methods " + loweredMethods + "]";
    }
}
