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

    private static LLVMTargetMachineRef createMachine(String triple, String cpu, String features) {
        LLVMTargetRef target = new LLVMTargetRef();
        BytePointer error = new BytePointer((BytePointer) null);
        if (LLVMGetTargetFromTriple(new BytePointer(triple), target, error) != 0) {
            throw new LlvmFailure("no LLVM target for " + triple + ": " + LlvmNative.takeMessage(error));
        }
        return LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive,
                LLVMRelocDefault, LLVMCodeModelJITDefault);
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
