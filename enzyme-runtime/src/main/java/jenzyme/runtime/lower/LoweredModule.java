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
    /** Printed from the bitcode when first asked: printing a 2000-line method's module was a third of its lowering. */
    private final java.util.function.Supplier<String> irText;
    private final boolean ruleHook;
    private final boolean forwardOnly;
    private final EntryPoint entry;
    private final List<String> loweredMethods;
    private final List<MethodRef> jvmCalls;

    private final ConstantArrays constantArrays;

    LoweredModule(String moduleName, byte[] bitcode, boolean ruleHook, EntryPoint entry, List<String> loweredMethods,
                  List<MethodRef> jvmCalls) {
        this(moduleName, bitcode, ruleHook, false, entry, loweredMethods, jvmCalls, ConstantArrays.NONE);
    }

    /**
     * @param ruleHook    whether the module calls {@link RuntimeSymbols#RULE_FAILED}
     * @param forwardOnly whether it frees memory out of Enzyme's sight ({@link RuntimeSymbols#FREE_INACTIVE})
     */
    LoweredModule(String moduleName, byte[] bitcode, boolean ruleHook, boolean forwardOnly, EntryPoint entry,
                  List<String> loweredMethods, List<MethodRef> jvmCalls, ConstantArrays constantArrays) {
        this.constantArrays = constantArrays;
        this.moduleName = moduleName;
        this.bitcode = bitcode.clone();
        this.ruleHook = ruleHook;
        this.forwardOnly = forwardOnly;
        this.irText = memoised(() -> jenzyme.runtime.llvm.LlvmModules.irTextOf(this.bitcode, moduleName));
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
        return irText.get();
    }

    private static java.util.function.Supplier<String> memoised(java.util.function.Supplier<String> text) {
        String[] known = new String[1];
        return () -> {
            synchronized (known) {
                if (known[0] == null) {
                    known[0] = text.get();
                }
                return known[0];
            }
        };
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

    /** Which arrays of its methods may be constant: the variables holding one and another array are refused. */
    public ConstantArrays constantArrays() {
        return constantArrays;
    }

    /**
     * Whether only forward mode may differentiate this module: lowered for forward mode, it frees a matrix's row-length
     * table out of Enzyme's sight, which a reverse sweep could read after the free (see IrModule#freeRowLengths).
     */
    public boolean forwardOnly() {
        return forwardOnly;
    }

    /** Whether the code calls back into the JVM: upcalls to JVM methods, or the rule-failure hook of any rule. */
    public boolean callsBack() {
        return !jvmCalls.isEmpty() || ruleHook;
    }

    /**
     * This module with reassociation and contraction allowed on its floating-point arithmetic ({@code --fast-math};
     * see {@link jenzyme.runtime.llvm.FastMath}).
     */
    public LoweredModule withFastMath() {
        jenzyme.runtime.llvm.FastMath.Relaxed relaxed = jenzyme.runtime.llvm.FastMath.relax(bitcode, moduleName);
        return new LoweredModule(moduleName, relaxed.bitcode(), ruleHook, forwardOnly, entry, loweredMethods,
                jvmCalls, constantArrays);
    }

    @Override
    public String toString() {
        return "LoweredModule[" + moduleName + ", entry " + entry.llvmSignature() + ", " + bitcode.length
                + " bytes of bitcode, methods " + loweredMethods + "]";
    }
}
