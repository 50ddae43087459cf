package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMTargetDataRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;

/**
 * The machine we run on as LLVM sees it: triple, CPU name and features, data layout. Lowered modules carry this
 * triple and layout so the worker optimises for the same target the JIT will generate code for.
 */
public final class HostTarget {

    private static volatile HostTarget instance;

    private final String triple;
    private final String cpu;
    private final String features;
    private final String dataLayout;

    private HostTarget(String triple, String cpu, String features, String dataLayout) {
        this.triple = triple;
        this.cpu = cpu;
        this.features = features;
        this.dataLayout = dataLayout;
    }

    public static HostTarget get() {
        HostTarget host = instance;
        if (host == null) {
            synchronized (HostTarget.class) {
                if (instance == null) {
                    instance = detect();
                }
                host = instance;
            }
        }
        return host;
    }

    private static HostTarget detect() {
        LlvmNative.initialize();
        String triple = LlvmNative.takeMessage(LLVMGetDefaultTargetTriple());
        String cpu = LlvmNative.takeMessage(LLVMGetHostCPUName());
        String features = LlvmNative.takeMessage(LLVMGetHostCPUFeatures());
        LLVMTargetMachineRef machine = createMachine(triple, cpu, features);
        try {
            LLVMTargetDataRef data = LLVMCreateTargetDataLayout(machine);
            String layout = LlvmNative.takeMessage(LLVMCopyStringRepOfTargetData(data));
            LLVMDisposeTargetData(data);
            return new HostTarget(triple, cpu, features, layout);
        } finally {
            LLVMDisposeTargetMachine(machine);
        }
    }

    /** A new target machine for this host at the aggressive optimisation level; the caller disposes it. */
    public LLVMTargetMachineRef createTargetMachine() {
        return createMachine(triple, cpu, features);
    }

    /**
     * A new target machine for this host's first, quick code ({@code jenzyme.runtime.jit.OrcJit}): no optimisation
     * (fast instruction selection, the fast register allocator), position-independent, the small code model, as the
     * JIT's own machine generates it; the caller disposes it.
     */
    public LLVMTargetMachineRef createQuickMachine() {
        return createMachine(triple, cpu, features, LLVMCodeGenLevelNone, LLVMRelocPIC, LLVMCodeModelSmall);
    }

    /**
     * A new target machine generating the code ORC's LLJIT generates for this host (its default optimisation level,
     * position-independent, the small code model), for code compiled outside the LLJIT's own compiler, which one
     * thread at a time may use; the caller disposes it.
     */
    public LLVMTargetMachineRef createJitMachine() {
        return createMachine(triple, cpu, features, LLVMCodeGenLevelDefault, LLVMRelocPIC, LLVMCodeModelSmall);
    }

    public static void dispose(LLVMTargetMachineRef machine) {
        LLVMDisposeTargetMachine(machine);
    }

    private static LLVMTargetMachineRef createMachine(String triple, String cpu, String features) {
        return createMachine(triple, cpu, features, LLVMCodeGenLevelAggressive, LLVMRelocDefault,
                LLVMCodeModelJITDefault);
    }

    private static LLVMTargetMachineRef createMachine(String triple, String cpu, String features, int level,
                                                      int relocation, int codeModel) {
        LLVMTargetRef target = new LLVMTargetRef();
        BytePointer error = new BytePointer((BytePointer) null);
        if (LLVMGetTargetFromTriple(new BytePointer(triple), target, error) != 0) {
            throw new LlvmFailure("no LLVM target for " + triple + ": " + LlvmNative.takeMessage(error));
        }
        return LLVMCreateTargetMachine(target, triple, cpu, features, level, relocation, codeModel);
    }

    public String triple() {
        return triple;
    }

    public String dataLayout() {
        return dataLayout;
    }

    /** The CPU name LLVM detected (e.g. {@code znver3}, {@code sapphirerapids}): what the JIT schedules for. */
    public String cpu() {
        return cpu;
    }

    /** Whether LLVM detected {@code feature} (e.g. {@code avx}) as present. */
    public boolean hasFeature(String feature) {
        return java.util.Arrays.asList(features.split(",")).contains("+" + feature);
    }

    /** The features LLVM detected, {@code +avx2,-avx512f,...}: the instructions the JIT may emit. */
    public String features() {
        return features;
    }
}
