package jenzyme.runtime.bind;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.worker.NativeType;
import jenzyme.runtime.worker.WrapperParameter;
import jenzyme.runtime.worker.WrapperSignature;

/**
 * Pipeline stage 4 for Hessian-vector products of {@code double f(double[] p)}: binds the worker's forward-mode
 * wrapper of the reverse-mode wrapper, {@code void(status, p, v, g, hv, n, gradOut, out)}, as a Java handle
 * {@code (double[] p, double[] v, double[] hv)void} that writes H(p)·v into {@code hv}. The gradient g is scratch
 * (its tangent is H·v); both it and {@code hv} are zeroed first because Enzyme accumulates into them.
 */
public final class HessianVectorBinder {

    private static final List<WrapperParameter.Role> EXPECTED_ROLES = List.of(
            WrapperParameter.Role.ARG, WrapperParameter.Role.ARG, WrapperParameter.Role.SHADOW,
            WrapperParameter.Role.ARG, WrapperParameter.Role.SHADOW, WrapperParameter.Role.ARG,
            WrapperParameter.Role.ARG, WrapperParameter.Role.OUT);
    private static final FunctionDescriptor DESCRIPTOR = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS);
    private static final MethodHandle CALL;

    static {
        try {
            CALL = MethodHandles.lookup().findStatic(HessianVectorBinder.class, "call", MethodType.methodType(void.class,
                    MethodHandle.class, BooleanSupplier.class, String.class, double[].class, double[].class,
                    double[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private HessianVectorBinder() {}

    public static MethodHandle bind(MemorySegment function, WrapperSignature wrapper, BooleanSupplier isLive) {
        List<WrapperParameter.Role> roles = wrapper.parameters().stream().map(WrapperParameter::role).toList();
        boolean lengthIsInt = wrapper.parameters().size() == EXPECTED_ROLES.size()
                && wrapper.parameters().get(5).type() == NativeType.I32;
        if (!roles.equals(EXPECTED_ROLES) || !lengthIsInt) {
            throw new BindingException("expected the Hessian-vector wrapper (status, p, v, g, hv, n, gradOut, out), got "
                    + wrapper.parameters(), wrapper.symbol(), null);
        }
        MethodHandle raw = NativeBinder.bindRaw(function, DESCRIPTOR);
        return MethodHandles.insertArguments(CALL, 0, raw, isLive, wrapper.symbol());
    }

    private static void call(MethodHandle raw, BooleanSupplier isLive, String symbol, double[] p, double[] v,
                             double[] hv) throws Throwable {
        if (p == null || v == null || hv == null) {
            throw new NullPointerException("p, v and hv must not be null");
        }
        if (v.length != p.length || hv.length < p.length) {
            throw new IllegalArgumentException("expected v of length " + p.length + " and hv at least that long, got "
                    + v.length + " and " + hv.length);
        }
        if (hv == p || hv == v) {
            throw new IllegalArgumentException("hv must be a separate array from p and v");
        }
        if (!isLive.getAsBoolean()) {
            throw new BindingException("the native code of " + symbol + " was released; use the new binding",
                    symbol, null);
        }
        java.util.Arrays.fill(hv, 0.0);
        int[] status = NativeStatus.newBlock();
        raw.invokeExact(MemorySegment.ofArray(status), MemorySegment.ofArray(p), MemorySegment.ofArray(v),
                MemorySegment.ofArray(new double[p.length]), MemorySegment.ofArray(hv), p.length, MemorySegment.NULL,
                MemorySegment.NULL);
        NativeStatus.check(status, symbol);
    }
}
