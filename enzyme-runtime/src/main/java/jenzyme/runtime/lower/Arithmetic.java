package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * JVM arithmetic, comparisons and conversions with Java's semantics where LLVM's differ: integer division by zero
 * raises ArithmeticException, {@code MIN_VALUE / -1} wraps instead of trapping, shift counts are masked, float-to-int
 * conversions saturate with NaN to 0 ({@code llvm.fptosi.sat}), and no fast-math flag is ever set.
 */
final class Arithmetic {

    private final IrModule module;
    private final IrBuilder ir;
    private final ExitPaths exits;

    Arithmetic(IrModule module, ExitPaths exits) {
        this.module = module;
        this.ir = module.ir();
        this.exits = exits;
    }

    JValue binary(Opcode op, JValue a, JValue b) {
        LLVMValueRef x = a.value();
        LLVMValueRef y = b.value();
        LLVMValueRef result = switch (op) {
            case IADD, LADD -> ir.add(x, y);
            case ISUB, LSUB -> ir.sub(x, y);
            case IMUL, LMUL -> ir.mul(x, y);
            case IDIV, LDIV -> divide(x, y, false);
            case IREM, LREM -> divide(x, y, true);
            case IAND, LAND -> ir.and(x, y);
            case IOR, LOR -> ir.or(x, y);
            case IXOR, LXOR -> ir.xor(x, y);
            case ISHL, LSHL -> ir.shl(x, shiftCount(a.kind(), y));
            case ISHR, LSHR -> ir.ashr(x, shiftCount(a.kind(), y));
            case IUSHR, LUSHR -> ir.lshr(x, shiftCount(a.kind(), y));
            case FADD, DADD -> ir.fadd(x, y);
            case FSUB, DSUB -> ir.fsub(x, y);
            case FMUL, DMUL -> ir.fmul(x, y);
            case FDIV, DDIV -> ir.fdiv(x, y);
            case FREM, DREM -> ir.frem(x, y); // fmod semantics, as Java's % on floating point
            case LCMP -> threeWay(ir.icmp(LLVMIntSGT, x, y), ir.icmp(LLVMIntEQ, x, y), null, -1);
            case FCMPL, DCMPL -> threeWay(ir.fcmp(LLVMRealOGT, x, y), ir.fcmp(LLVMRealOEQ, x, y), null, -1);
            case FCMPG, DCMPG -> threeWay(ir.fcmp(LLVMRealOGT, x, y), ir.fcmp(LLVMRealOEQ, x, y),
                    ir.fcmp(LLVMRealOLT, x, y), 1);
            default -> throw new IllegalArgumentException(Messages.NOT_A_BINARY_OPERATOR.format(op));
        };
        ValueKind kind = switch (op) {
            case LCMP, FCMPL, FCMPG, DCMPL, DCMPG -> ValueKind.INT;
            default -> a.kind();
        };
        return JValue.scalar(kind, result);
    }

    JValue negate(JValue a) {
        boolean floating = a.kind() == ValueKind.FLOAT || a.kind() == ValueKind.DOUBLE;
        return JValue.scalar(a.kind(), floating ? ir.fneg(a.value()) : ir.neg(a.value()));
    }

    /** Integer division or remainder: zero divisors raise, and a divisor of -1 never reaches the (trapping) sdiv. */
    private LLVMValueRef divide(LLVMValueRef x, LLVMValueRef y, boolean remainder) {
        LLVMTypeRef type = ir.typeOf(y);
        exits.failIf(ir.icmp(LLVMIntEQ, y, ir.zero(type)), StatusCode.DIVISION_BY_ZERO, null, null);
        LLVMValueRef minusOne = ir.icmp(LLVMIntEQ, y, ir.constInt(type, -1));
        LLVMValueRef safeDivisor = ir.select(minusOne, ir.constInt(type, 1), y);
        return remainder
                ? ir.select(minusOne, ir.zero(type), ir.srem(x, safeDivisor))
                : ir.select(minusOne, ir.neg(x), ir.sdiv(x, safeDivisor));
    }

    private LLVMValueRef shiftCount(ValueKind kind, LLVMValueRef count) {
        if (kind == ValueKind.INT) {
            return ir.and(count, ir.constInt(ir.i32(), 31));
        }
        return ir.zext(ir.and(count, ir.constInt(ir.i32(), 63)), ir.i64());
    }

    /** 1 if greater, 0 if equal, -1 if less; {@code unordered} otherwise (NaN operands). */
    private LLVMValueRef threeWay(LLVMValueRef greater, LLVMValueRef equal, LLVMValueRef less, int unordered) {
        LLVMValueRef one = ir.constInt(ir.i32(), 1);
        LLVMValueRef zero = ir.zero(ir.i32());
        LLVMValueRef minusOne = ir.constInt(ir.i32(), -1);
        LLVMValueRef rest = less == null ? minusOne : ir.select(less, minusOne, ir.constInt(ir.i32(), unordered));
        return ir.select(greater, one, ir.select(equal, zero, rest));
    }

    JValue convert(TypeKind from, TypeKind to, JValue value) {
        LLVMValueRef v = value.value();
        LLVMValueRef result = switch (to) {
            case BYTE -> ir.sext(ir.trunc(v, ir.i8()), ir.i32());
            case SHORT -> ir.sext(ir.trunc(v, ir.i16()), ir.i32());
            case CHAR -> ir.zext(ir.trunc(v, ir.i16()), ir.i32());
            case INT -> from == TypeKind.LONG ? ir.trunc(v, ir.i32()) : saturatingToInteger(v, ir.i32());
            case LONG -> from == TypeKind.INT ? ir.sext(v, ir.i64()) : saturatingToInteger(v, ir.i64());
            case FLOAT -> from == TypeKind.DOUBLE ? ir.fptrunc(v, ir.f32()) : ir.sitofp(v, ir.f32());
            case DOUBLE -> from == TypeKind.FLOAT ? ir.fpext(v, ir.f64()) : ir.sitofp(v, ir.f64());
            default -> throw new IllegalArgumentException(Messages.NOT_A_CONVERSION.format(from, to));
        };
        return JValue.scalar(ValueKind.of(to), result);
    }

    /** Java's d2i/d2l/f2i/f2l: round toward zero, saturate at the bounds, NaN to 0 — exactly llvm.fptosi.sat. */
    private LLVMValueRef saturatingToInteger(LLVMValueRef v, LLVMTypeRef to) {
        Callee saturate = module.intrinsic("llvm.fptosi.sat", to, ir.typeOf(v));
        return ir.call(saturate.type(), saturate.function(), v);
    }

    /** The {@code i1} condition of an {@code if<cond>} (against zero) or {@code if_icmp<cond>} branch. */
    LLVMValueRef branchCondition(Opcode op, LLVMValueRef a, LLVMValueRef b) {
        int predicate = switch (op) {
            case IFEQ, IF_ICMPEQ -> LLVMIntEQ;
            case IFNE, IF_ICMPNE -> LLVMIntNE;
            case IFLT, IF_ICMPLT -> LLVMIntSLT;
            case IFGE, IF_ICMPGE -> LLVMIntSGE;
            case IFGT, IF_ICMPGT -> LLVMIntSGT;
            case IFLE, IF_ICMPLE -> LLVMIntSLE;
            default -> throw new IllegalArgumentException(Messages.NOT_AN_INT_BRANCH.format(op));
        };
        return ir.icmp(predicate, a, b == null ? ir.zero(ir.i32()) : b);
    }
}
