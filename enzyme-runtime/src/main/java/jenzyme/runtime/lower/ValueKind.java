package jenzyme.runtime.lower;

import java.lang.classfile.TypeKind;
import jenzyme.runtime.error.Messages;

/**
 * What a JVM operand-stack entry or local holds once lowered. Booleans, bytes, chars and shorts are {@link #INT}
 * like on the JVM's own stack; a reference is a primitive array, kept as (pointer, length), or a record, kept as its
 * components' values ({@link JValue}). {@link #of(TypeKind)} says ARRAY for every reference: the lowering tells records
 * apart by what it knows of the local or the call.
 */
enum ValueKind {
    INT, LONG, FLOAT, DOUBLE, ARRAY, RECORD;

    /** Long and double take two JVM stack slots ("category 2"), which the dup/pop family cares about. */
    boolean isWide() {
        return this == LONG || this == DOUBLE;
    }

    static ValueKind of(TypeKind kind) {
        return switch (kind) {
            case BOOLEAN, BYTE, CHAR, SHORT, INT -> INT;
            case LONG -> LONG;
            case FLOAT -> FLOAT;
            case DOUBLE -> DOUBLE;
            case REFERENCE -> ARRAY;
            case VOID -> throw new IllegalArgumentException(Messages.VOID_VALUE.format());
        };
    }

    static ValueKind of(JavaType type) {
        return switch (type) {
            case BOOLEAN, INT -> INT;
            case LONG -> LONG;
            case FLOAT -> FLOAT;
            case DOUBLE -> DOUBLE;
            case DOUBLE_ARRAY, FLOAT_ARRAY, INT_ARRAY, LONG_ARRAY, DOUBLE_MATRIX, FLOAT_MATRIX, INT_MATRIX, LONG_MATRIX
                    -> ARRAY;
            case OBJECT_REF -> RECORD;
            case VOID -> throw new IllegalArgumentException(Messages.VOID_VALUE.format());
        };
    }
}
