package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.LoweredModule;

/**
 * A Java static method compiled to native code and bound: {@link #handle()} (and {@link #copyingHandle()}) has the
 * method's own type, so
 * {@code (double) m.handle().invokeExact(x, a, n)} and the JVM original can be compared one to one. Closing it frees
 * the native code; the handle then raises a {@link BindingException}.
 */
public final class NativeMethod implements AutoCloseable {

    private final LoweredModule lowered;
    private final JitModule code;
    private final MethodHandle handle;
    private final MethodHandle copyingHandle;

    NativeMethod(LoweredModule lowered, JitModule code, MethodHandle handle, MethodHandle copyingHandle) {
        this.lowered = lowered;
        this.code = code;
        this.handle = handle;
        this.copyingHandle = copyingHandle;
    }

    /**
     * The fast binding: a critical downcall with arrays passed zero-copy (a few ns per call). While it runs the JVM
     * cannot reach a safepoint, so other threads that need one wait; prefer {@link #copyingHandle()} for calls that
     * run for seconds.
     */
    public MethodHandle handle() {
        return handle;
    }

    /** The same function through an ordinary downcall that copies arrays in and out; safepoints proceed meanwhile. */
    public MethodHandle copyingHandle() {
        return copyingHandle;
    }

    public EntryPoint entry() {
        return lowered.entry();
    }

    /** The frontend's (unoptimised) module, for {@code --dump} and for the Enzyme worker. */
    public LoweredModule lowered() {
        return lowered;
    }

    public JitModule code() {
        return code;
    }

    public boolean isLive() {
        return code.isLive();
    }

    @Override
    public void close() {
        code.close();
    }

    @Override
    public String toString() {
        return "NativeMethod[" + lowered.entry().javaSignature() + " as " + lowered.entry().llvmSignature() + "]";
    }
}
