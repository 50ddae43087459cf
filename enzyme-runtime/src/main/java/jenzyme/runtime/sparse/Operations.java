package jenzyme.runtime.sparse;

import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import jenzyme.runtime.sparse.TracedValue.Kind;

/** The JVM's arithmetic, comparisons and conversions on known numbers, and the kind each one yields. */
final class Operations {

    private Operations() {}

    /** The kind of an operator's result ({@code LCMP}/{@code DCMPL}... give an int). */
    static Kind resultKind(Opcode op) {
        String name = op.name();
        if (name.endsWith("CMP") || name.endsWith("CMPL") || name.endsWith("CMPG") || op == Opcode.ARRAYLENGTH) {
            return Kind.INT;
        }
        return switch (name.charAt(0)) {
            case 'L' -> Kind.LONG;
            case 'D' -> Kind.DOUBLE;
            case 'F' -> Kind.FLOAT;
            default -> Kind.INT;
        };
    }

    /** Whether {@code op} divides by {@code divisor} and so throws: the JVM's ArithmeticException ends the path. */
    static boolean dividesByZero(Opcode op, Number divisor) {
        return switch (op) {
            case IDIV, IREM -> divisor.intValue() == 0;
            case LDIV, LREM -> divisor.longValue() == 0;
            default -> false;
        };
    }

    /** {@code a op b} ({@code b} null for the unary ones). */
    static Number apply(Opcode op, Number a, Number b) {
        return switch (op) {
            case IADD -> a.intValue() + b.intValue();
            case ISUB -> a.intValue() - b.intValue();
            case IMUL -> a.intValue() * b.intValue();
            case IDIV -> a.intValue() / b.intValue();
            case IREM -> a.intValue() % b.intValue();
            case IAND -> a.intValue() & b.intValue();
            case IOR -> a.intValue() | b.intValue();
            case IXOR -> a.intValue() ^ b.intValue();
            case ISHL -> a.intValue() << b.intValue();
            case ISHR -> a.intValue() >> b.intValue();
            case IUSHR -> a.intValue() >>> b.intValue();
            case INEG -> -a.intValue();
            case LADD -> a.longValue() + b.longValue();
            case LSUB -> a.longValue() - b.longValue();
            case LMUL -> a.longValue() * b.longValue();
            case LDIV -> a.longValue() / b.longValue();
            case LREM -> a.longValue() % b.longValue();
            case LAND -> a.longValue() & b.longValue();
            case LOR -> a.longValue() | b.longValue();
            case LXOR -> a.longValue() ^ b.longValue();
            case LSHL -> a.longValue() << b.intValue();
            case LSHR -> a.longValue() >> b.intValue();
            case LUSHR -> a.longValue() >>> b.intValue();
            case LNEG -> -a.longValue();
            case LCMP -> Long.compare(a.longValue(), b.longValue());
            case DADD -> a.doubleValue() + b.doubleValue();
            case DSUB -> a.doubleValue() - b.doubleValue();
            case DMUL -> a.doubleValue() * b.doubleValue();
            case DDIV -> a.doubleValue() / b.doubleValue();
            case DREM -> a.doubleValue() % b.doubleValue();
            case DNEG -> -a.doubleValue();
            case FADD -> a.floatValue() + b.floatValue();
            case FSUB -> a.floatValue() - b.floatValue();
            case FMUL -> a.floatValue() * b.floatValue();
            case FDIV -> a.floatValue() / b.floatValue();
            case FREM -> a.floatValue() % b.floatValue();
            case FNEG -> -a.floatValue();
            case DCMPL, DCMPG -> compare(a.doubleValue(), b.doubleValue(), op == Opcode.DCMPG ? 1 : -1);
            case FCMPL, FCMPG -> compare(a.floatValue(), b.floatValue(), op == Opcode.FCMPG ? 1 : -1);
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    private static int compare(double a, double b, int nan) {
        return Double.isNaN(a) || Double.isNaN(b) ? nan : a < b ? -1 : a > b ? 1 : 0;
    }

    static Kind kind(TypeKind type) {
        return switch (type) {
            case DOUBLE -> Kind.DOUBLE;
            case FLOAT -> Kind.FLOAT;
            case LONG -> Kind.LONG;
            case REFERENCE -> Kind.REF;
            default -> Kind.INT;
        };
    }

    /** A known number converted as {@code I2D}, {@code D2I}, {@code I2B}... do. */
    static Number convert(Number value, TypeKind to) {
        return switch (to) {
            case INT -> value instanceof Double || value instanceof Float ? (int) value.doubleValue()
                    : value.intValue();
            case LONG -> value instanceof Double || value instanceof Float ? (long) value.doubleValue()
                    : value.longValue();
            case DOUBLE -> value.doubleValue();
            case FLOAT -> value.floatValue();
            default -> narrow(value.intValue(), to);
        };
    }

    /** An int stored into (or converted to) a byte, char, short or boolean. */
    static int narrow(int value, TypeKind to) {
        return switch (to) {
            case BYTE -> (byte) value;
            case CHAR -> (char) value;
            case SHORT -> (short) value;
            case BOOLEAN -> value & 1;
            default -> value;
        };
    }

    /** Whether {@code value op 0} (IFEQ...) or {@code a op b} (IF_ICMPEQ...) holds. */
    static boolean holds(Opcode op, int a, int b) {
        return switch (op) {
            case IFEQ, IF_ICMPEQ -> a == b;
            case IFNE, IF_ICMPNE -> a != b;
            case IFLT, IF_ICMPLT -> a < b;
            case IFGE, IF_ICMPGE -> a >= b;
            case IFGT, IF_ICMPGT -> a > b;
            case IFLE, IF_ICMPLE -> a <= b;
            default -> throw new IllegalArgumentException(op.name());
        };
    }
}
