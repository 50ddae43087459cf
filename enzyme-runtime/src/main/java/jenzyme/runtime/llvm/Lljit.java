package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.llvm.LLVM.LLVMJITEvaluatedSymbol;
import org.bytedeco.llvm.LLVM.LLVMJITSymbolFlags;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMOrcCSymbolMapPair;
import org.bytedeco.llvm.LLVM.LLVMOrcDefinitionGeneratorRef;
import org.bytedeco.llvm.LLVM.LLVMOrcJITDylibRef;
import org.bytedeco.llvm.LLVM.LLVMOrcJITTargetMachineBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITRef;
import org.bytedeco.llvm.LLVM.LLVMOrcMaterializationUnitRef;
import org.bytedeco.llvm.LLVM.LLVMOrcResourceTrackerRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeContextRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeModuleRef;

/**
 * One-to-one wrapper of the ORC LLJIT C API on the main JITDylib. No policy: naming, module ownership and error
 * context belong to {@code jenzyme.runtime.jit.OrcJit}.
 */
public final class Lljit implements AutoCloseable {

    private final LLVMOrcLLJITRef jit;
    private final LLVMOrcJITDylibRef mainDylib;

    private Lljit(LLVMOrcLLJITRef jit) {
        this.jit = jit;
        this.mainDylib = LLVMOrcLLJITGetMainJITDylib(jit);
        Diagnostics.install(LLVMOrcLLJITGetExecutionSession(jit));
    }

    /** An LLJIT generating code for the host CPU with all its features. */
    public static Lljit createForHost() {
        LlvmNative.initialize();
        LLVMOrcJITTargetMachineBuilderRef machineBuilder = new LLVMOrcJITTargetMachineBuilderRef();
        LlvmNative.check(LLVMOrcJITTargetMachineBuilderDetectHost(machineBuilder), "detect host for the JIT");
        LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
        LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, machineBuilder); // builder takes ownership
        LLVMOrcLLJITRef jit = new LLVMOrcLLJITRef();
        LlvmNative.check(LLVMOrcCreateLLJIT(jit, builder), "create LLJIT"); // consumes builder
        return new Lljit(jit);
    }

    /** Lets modules link against every symbol the process already exports (libm, libc's malloc/free, ...). */
    public void addProcessSymbolGenerator() {
        LLVMOrcDefinitionGeneratorRef generator = new LLVMOrcDefinitionGeneratorRef();
        LlvmNative.check(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(generator,
                LLVMOrcLLJITGetGlobalPrefix(jit), null, null), "process symbol generator");
        LLVMOrcJITDylibAddGenerator(mainDylib, generator);
    }

    /** Defines {@code name} in the main JITDylib as an exported data symbol at a fixed address. */
    public void defineAbsoluteSymbol(String name, long address) {
        LLVMOrcCSymbolMapPair pair = new LLVMOrcCSymbolMapPair(1);
        LLVMJITSymbolFlags flags = new LLVMJITSymbolFlags();
        flags.GenericFlags((byte) LLVMJITSymbolGenericFlagsExported).TargetFlags((byte) 0);
        LLVMJITEvaluatedSymbol symbol = new LLVMJITEvaluatedSymbol();
        symbol.Address(address).Flags(flags);
        pair.Name(LLVMOrcLLJITMangleAndIntern(jit, name)).Sym(symbol);
        LLVMOrcMaterializationUnitRef unit = LLVMOrcAbsoluteSymbols(pair, 1);
        LlvmNative.check(LLVMOrcJITDylibDefine(mainDylib, unit), "define absolute symbol " + name);
    }

    public LLVMOrcResourceTrackerRef newResourceTracker() {
        return LLVMOrcJITDylibCreateResourceTracker(mainDylib);
    }

    /** A fresh context for one module; dispose it once the module is added (the module then keeps it alive). */
    public static LLVMOrcThreadSafeContextRef newThreadSafeContext() {
        return LLVMOrcCreateNewThreadSafeContext();
    }

    /** The LLVM context inside a thread-safe context, to parse a module into. */
    public static LLVMContextRef contextOf(LLVMOrcThreadSafeContextRef context) {
        return LLVMOrcThreadSafeContextGetContext(context);
    }

    /** Drops this reference to the context; modules added to the JIT keep it alive as long as they need it. */
    public static void dispose(LLVMOrcThreadSafeContextRef context) {
        LLVMOrcDisposeThreadSafeContext(context);
    }

    /**
     * Hands {@code module} (created in {@code context}) to the JIT under {@code tracker}. The JIT takes ownership
     * even when it refuses the module (another data layout): LLVM has freed it by then, so it is not disposed here.
     */
    public void addModule(LLVMOrcResourceTrackerRef tracker, LLVMOrcThreadSafeContextRef context, LLVMModuleRef module) {
        LLVMOrcThreadSafeModuleRef threadSafe = LLVMOrcCreateNewThreadSafeModule(module, context);
        LlvmNative.check(LLVMOrcLLJITAddLLVMIRModuleWithRT(jit, tracker, threadSafe), "add module");
    }

    /** Hands a relocatable object file to the JIT under {@code tracker}; the JIT owns {@code object} from here on. */
    public void addObjectFile(LLVMOrcResourceTrackerRef tracker, LLVMMemoryBufferRef object) {
        LlvmNative.check(LLVMOrcLLJITAddObjectFileWithRT(jit, tracker, object), "add object file");
    }

    /** Address of {@code name}, materialising (compiling) its module on first lookup. */
    public long lookup(String name) {
        try (LongPointer address = new LongPointer(1)) {
            LlvmNative.check(LLVMOrcLLJITLookup(jit, address, name), "look up " + name);
            return address.get();
        }
    }

    /** Frees the code and data of every module added under {@code tracker}, then the tracker itself. */
    public static void removeAndRelease(LLVMOrcResourceTrackerRef tracker) {
        try {
            LlvmNative.check(LLVMOrcResourceTrackerRemove(tracker), "remove JIT resources");
        } finally {
            LLVMOrcReleaseResourceTracker(tracker);
        }
    }

    @Override
    public void close() {
        LlvmNative.check(LLVMOrcDisposeLLJIT(jit), "dispose LLJIT");
    }
}
