package jenzyme.runtime.ad;

import java.nio.ByteOrder;

/**
 * One 8-byte slot of the wrapper's {@code out} buffer, in order. {@code PRIMAL}: the primal return value.
 * {@code ADJOINT}: reverse mode, d(return)/d(argument {@code index}) of an active scalar. {@code DRETURN}: forward
 * mode, lane {@code index} of the return's tangent. A {@code float}/{@code i32} value occupies the first 4 bytes of
 * its slot.
 */
public record OutputSlot(Kind kind, int index, NativeType type) {

    public enum Kind { PRIMAL, ADJOINT, DRETURN }

    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /**
     * The {@code float} in slot {@code slot} of an out buffer: the slot's first 4 bytes, which are the low half of
     * the slot's 64 bits on little-endian hosts and the high half on big-endian ones. Allocation-free: the
     * generated stubs call it on their hot path.
     */
    public static float floatAt(double[] out, int slot) {
        long bits = Double.doubleToRawLongBits(out[slot]);
        return Float.intBitsToFloat((int) (LITTLE_ENDIAN ? bits : bits >>> 32));
    }
}
