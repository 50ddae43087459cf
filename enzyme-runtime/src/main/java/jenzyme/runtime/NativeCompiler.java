package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.Map;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.bind.NativeBinder;
import jenzyme.runtime.bind.NativeSignature;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.jit.OrcJit;
import jenzyme.runtime.lower.BytecodeLowering;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.LoweredModule;

/**
 * Facade over the pipeline without AD: lower ({@link BytecodeLowering}) → JIT at O3 ({@link OrcJit}) → bind
 * ({@link NativeBinder}). Used by {@code %jit f}, which binds the result as {@code f_native}. Owns one
 * {@link OrcJit} wired to the global {@link InterruptFlag}; the AD stage can add the worker's modules to
 * {@link #jit()}. Compiling a method again releases the previous native code of the same method.
 */
public final class NativeCompiler implements AutoCloseable {

    private final OrcJit jit;
    private final Map<String, NativeMethod> current = new HashMap<>();

    private NativeCompiler(OrcJit jit) {
        this.jit = jit;
    }

    public static NativeCompiler create() {
        return new NativeCompiler(OrcJit.create(Map.of(InterruptFlag.symbol(), InterruptFlag.global().segment())));
    }

    /**
     * Compiles and binds a static method.
     *
     * @throws LoweringException if the method (or a method it calls) is outside the supported subset
     * @throws JitException if LLVM could not compile the module
     * @throws BindingException if FFM could not bind the entry point
     */
    public synchronized NativeMethod compile(ClassBytesSource source, String ownerInternalName, String methodName,
                                             String descriptor) {
        LoweredModule lowered = new BytecodeLowering(source).lower(ownerInternalName, methodName, descriptor);
        JitModule code = jit.add(lowered.moduleName(), lowered.bitcode(), true);
        try {
            EntryPoint entry = lowered.entry();
            NativeSignature signature = NativeSignature.of(entry);
            MethodHandle handle = NativeBinder.bind(code.address(entry.symbol()), signature, code::isLive, entry.symbol());
            MethodHandle copying = NativeBinder.bindCopying(code.address(entry.symbol()), signature, code::isLive,
                    entry.symbol());
            NativeMethod compiled = new NativeMethod(lowered, code, handle, copying);
            NativeMethod previous = current.put(ownerInternalName + "." + methodName + descriptor, compiled);
            if (previous != null) {
                previous.close();
            }
            return compiled;
        } catch (RuntimeException e) {
            code.close();
            throw e;
        }
    }

    /** {@link #compile(ClassBytesSource, String, String, String)} for the only static method with that name. */
    public NativeMethod compile(ClassBytesSource source, String ownerInternalName, String methodName) {
        String descriptor = new BytecodeLowering(source).uniqueDescriptor(ownerInternalName, methodName);
        return compile(source, ownerInternalName, methodName, descriptor);
    }

    public OrcJit jit() {
        return jit;
    }

    public InterruptFlag interruptFlag() {
        return InterruptFlag.global();
    }

    @Override
    public synchronized void close() {
        current.clear();
        jit.close();
    }
}
