package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.LoweredModule;

/**
 * A Java static method compiled to native code and bound: {@link #handle()} has the method's own type, so
 * {@code (double) m.handle().invokeExact(x, a, n)} and the JVM original can be compared one to one. Closing it frees
 * the native code; the handle then raises a {@link BindingException}.
 */
public final class NativeMethod implements AutoCloseable {

    private final LoweredModule lowered;
    private final JitModule code;
    private final MethodHandle handle;

    NativeMethod(LoweredModule lowered, JitModule code, MethodHandle handle) {
        this.lowered = lowered;
        this.code = code;
        this.handle = handle;
    }

    public MethodHandle handle() {
        return handle;
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
