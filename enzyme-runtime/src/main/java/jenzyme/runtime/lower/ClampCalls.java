package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * {@code Math.clamp} and the {@code compare} methods of {@code Double}, {@code Float}, {@code Integer} and
 * {@code Long}, with the JDK's exact semantics: clamp is {@code min(max, max(value, min))} with Java's NaN- and
 * signed-zero-aware min/max (so its derivative is 1 in the value inside the bounds and flows to the bound that
 * binds outside), and raises the JDK's {@code IllegalArgumentException} for bounds it refuses; compare orders -0.0
 * below +0.0 and NaN above everything, equal to itself.
 */
public final class ClampCalls {

    /** Which JDK message a {@link StatusCode#CLAMP_BOUNDS} failure carries (status word 1). */
    public static final int INTEGRAL_ORDER = 1, DOUBLE_ORDER = 2, FLOAT_ORDER = 3, MIN_NAN = 4, MAX_NAN = 5,
            FLOATING_ORDER_UNKNOWN = 6;

    private final IrModule module;
    private final IrBuilder ir;
    private final ExitPaths exits;

    ClampCalls(IrModule module, ExitPaths exits) {
        this.module = module;
        this.ir = module.ir();
        this.exits = exits;
    }

    /** {@code Math.clamp} of any of its four shapes ({@code (JII)I}, {@code (JJJ)J}, {@code (DDD)D}, {@code (FFF)F}). */
    JValue clamp(String descriptor, List<JValue> args) {
        JValue value = args.get(0), min = args.get(1), max = args.get(2);
        return switch (descriptor) {
            case "(JII)I", "(JJJ)J" -> integral(value, min, max);
            case "(DDD)D", "(FFF)F" -> floating(value, min, max);
            default -> null;
        };
    }

    private JValue integral(JValue value, JValue min, JValue max) {
        LLVMValueRef lo = ir.sext(min.value(), ir.i64()), hi = ir.sext(max.value(), ir.i64());
        exits.failIfWide(ir.icmp(LLVMIntSGT, lo, hi), StatusCode.CLAMP_BOUNDS, ir.constInt(ir.i32(), INTEGRAL_ORDER),
                lo, hi);
        Callee smax = module.intrinsic("llvm.smax", ir.i64()), smin = module.intrinsic("llvm.smin", ir.i64());
        LLVMValueRef clamped = ir.call(smin.type(), smin.function(), hi,
                ir.call(smax.type(), smax.function(), value.value(), lo));
        return min.kind() == ValueKind.INT ? JValue.scalar(ValueKind.INT, ir.trunc(clamped, ir.i32()))
                : JValue.scalar(ValueKind.LONG, clamped);
    }

    /** The JDK: NaN bounds and min > max (compare order, so clamp(x, 0.0, -0.0) too) raise; equal bounds do not. */
    private JValue floating(JValue value, JValue min, JValue max) {
        LLVMTypeRef type = module.type(value.kind());
        boolean isDouble = value.kind() == ValueKind.DOUBLE;
        LLVMValueRef lo = min.value(), hi = max.value();
        exits.failIfWide(ir.fcmp(LLVMRealUNO, lo, lo), StatusCode.CLAMP_BOUNDS, ir.constInt(ir.i32(), MIN_NAN),
                wideBits(lo, isDouble), wideBits(hi, isDouble));
        exits.failIfWide(ir.fcmp(LLVMRealUNO, hi, hi), StatusCode.CLAMP_BOUNDS, ir.constInt(ir.i32(), MAX_NAN),
                wideBits(lo, isDouble), wideBits(hi, isDouble));
        boolean constantBounds = ir.constantReal(lo).isPresent() && ir.constantReal(hi).isPresent();
        int kind = !constantBounds ? FLOATING_ORDER_UNKNOWN : isDouble ? DOUBLE_ORDER : FLOAT_ORDER;
        exits.failIfWide(ir.icmp(LLVMIntSGT, compare(lo, hi, isDouble), ir.zero(ir.i32())), StatusCode.CLAMP_BOUNDS,
                ir.constInt(ir.i32(), kind), wideBits(lo, isDouble), wideBits(hi, isDouble));
        Callee maximum = module.intrinsic("llvm.maximum", type), minimum = module.intrinsic("llvm.minimum", type);
        LLVMValueRef clamped = ir.call(minimum.type(), minimum.function(), hi,
                ir.call(maximum.type(), maximum.function(), value.value(), lo));
        return JValue.scalar(value.kind(), clamped);
    }

    /** {@code Double.compare}, {@code Float.compare} ({@code (DD)I}, {@code (FF)I}), {@code Integer/Long.compare}. */
    JValue compare(List<JValue> args) {
        JValue a = args.get(0), b = args.get(1);
        if (a.kind() == ValueKind.INT || a.kind() == ValueKind.LONG) {
            LLVMValueRef less = ir.icmp(LLVMIntSLT, a.value(), b.value());
            LLVMValueRef equal = ir.icmp(LLVMIntEQ, a.value(), b.value());
            return JValue.scalar(ValueKind.INT, ir.select(less, ir.constInt(ir.i32(), -1),
                    ir.select(equal, ir.zero(ir.i32()), ir.constInt(ir.i32(), 1))));
        }
        return JValue.scalar(ValueKind.INT, compare(a.value(), b.value(), a.kind() == ValueKind.DOUBLE));
    }

    /** The JDK's compare: by value, then by the bits of doubleToLongBits (one canonical NaN). */
    private LLVMValueRef compare(LLVMValueRef a, LLVMValueRef b, boolean isDouble) {
        LLVMValueRef minusOne = ir.constInt(ir.i32(), -1), one = ir.constInt(ir.i32(), 1);
        LLVMValueRef bitsA = canonicalBits(a, isDouble), bitsB = canonicalBits(b, isDouble);
        LLVMValueRef byBits = ir.select(ir.icmp(LLVMIntEQ, bitsA, bitsB), ir.zero(ir.i32()),
                ir.select(ir.icmp(LLVMIntSLT, bitsA, bitsB), minusOne, one));
        return ir.select(ir.fcmp(LLVMRealOLT, a, b), minusOne, ir.select(ir.fcmp(LLVMRealOGT, a, b), one, byBits));
    }

    private LLVMValueRef canonicalBits(LLVMValueRef x, boolean isDouble) {
        LLVMTypeRef bits = isDouble ? ir.i64() : ir.i32();
        LLVMValueRef nan = ir.constInt(bits, isDouble ? 0x7ff8000000000000L : 0x7fc00000L);
        return ir.select(ir.fcmp(LLVMRealUNO, x, x), nan, ir.bitcast(x, bits));
    }

    /**
     * The bits of a constant bound, widened to 64 (floats in the low word), for the exception's message; 0 for
     * bounds computed at run time. Storing a computed double's bits into the (integer) status block made Enzyme's
     * type analysis fail (the worker exited), so for those the message names no numbers
     * ({@link #FLOATING_ORDER_UNKNOWN}); bounds written as literals, the usual case, give the JDK's own message.
     */
    private LLVMValueRef wideBits(LLVMValueRef x, boolean isDouble) {
        if (ir.constantReal(x).isEmpty()) {
            return ir.constInt(ir.i64(), 0);
        }
        double value = ir.constantReal(x).getAsDouble();
        return ir.constInt(ir.i64(), isDouble ? Double.doubleToRawLongBits(value)
                : Float.floatToRawIntBits((float) value) & 0xffffffffL);
    }
}
