package jenzyme.runtime.bind;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.ad.WrapperLayout;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.error.Messages;

/**
 * Pipeline stage 4 for Hessian-vector products of {@code double f(double[] p)}: binds the worker's forward-mode
 * wrapper of the reverse-mode wrapper, {@code void(status, p, v, g, hv, n, gradOut, out)}, as a Java handle
 * {@code (double[] p, double[] v, double[] hv)void} that writes H(p)·v into {@code hv}. The gradient g is scratch
 * (its tangent is H·v); both it and {@code hv} are zeroed first because Enzyme accumulates into them.
 */
public final class HessianVectorBinder {

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

    /**
     * @param expected the forward pass over the gradient wrapper ({@code CallingConvention.overGradient()}):
     *                 {@code (status, p, v, g, hv, n, gradOut, out)}, checked against what the worker reported
     */
    public static MethodHandle bind(MemorySegment function, WrapperLayout expected, WrapperSignature wrapper,
                                    BooleanSupplier isLive) {
        expected.check(wrapper);
        MethodHandle raw = NativeBinder.bindWrapper(function, wrapper);
        return MethodHandles.insertArguments(CALL, 0, raw, isLive, wrapper.symbol());
    }

    private static void call(MethodHandle raw, BooleanSupplier isLive, String symbol, double[] p, double[] v,
                             double[] hv) throws Throwable {
        if (p == null || v == null || hv == null) {
            throw new NullPointerException(Messages.HVP_NULL_ARGUMENT.format());
        }
        if (v.length != p.length || hv.length < p.length) {
            throw new IllegalArgumentException(Messages.HVP_LENGTHS.format(p.length, v.length, hv.length));
        }
        if (hv == p || hv == v) {
            throw new IllegalArgumentException(Messages.HVP_ALIASES.format());
        }
        NativeBinder.ensureLive(isLive, symbol);
        java.util.Arrays.fill(hv, 0.0);
        int[] status = NativeStatus.newBlock();
        raw.invokeExact(MemorySegment.ofArray(status), MemorySegment.ofArray(p), MemorySegment.ofArray(v),
                MemorySegment.ofArray(new double[p.length]), MemorySegment.ofArray(hv), p.length, MemorySegment.NULL,
                MemorySegment.NULL);
        NativeStatus.check(status, symbol);
    }
}
