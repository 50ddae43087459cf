package jenzyme.runtime.sparse;

import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.util.BitSet;

/**
 * One value of the {@link DependencyTracer}'s abstract machine: its JVM kind, its number when it is the same at every
 * call ({@link #known}, else null: it may differ between calls, so a branch on it must take both ways), the entries
 * of x it depends on ({@link #deps}, never mutated once built), and for references the array or lambda it points to.
 */
record TracedValue(Kind kind, Number known, BitSet deps, TracedArray array, TracedLambda lambda) {

    enum Kind {
        INT, LONG, FLOAT, DOUBLE, REF;

        /** Takes two operand-stack slots (DUP2 and POP2 treat it as one value). */
        boolean wide() {
            return this == LONG || this == DOUBLE;
        }

        static Kind of(ClassDesc type) {
            return switch (type.descriptorString()) {
                case "D" -> DOUBLE;
                case "F" -> FLOAT;
                case "J" -> LONG;
                case "I", "Z", "B", "C", "S" -> INT;
                default -> REF;
            };
        }
    }

    static final BitSet NONE = new BitSet();

    static TracedValue known(Kind kind, Number value) {
        return new TracedValue(kind, value, NONE, null, null);
    }

    /** A value that may differ between calls and depends on {@code deps}. */
    static TracedValue varying(Kind kind, BitSet deps) {
        return new TracedValue(kind, null, deps, null, null);
    }

    static TracedValue reference(TracedArray array) {
        return new TracedValue(Kind.REF, null, NONE, array, null);
    }

    static TracedValue lambda(TracedLambda lambda) {
        return new TracedValue(Kind.REF, null, NONE, null, lambda);
    }

    /** A null reference (neither an array nor a lambda). */
    boolean isNull() {
        return array == null && lambda == null;
    }

    /** The zero a new array's elements of this type start as. */
    static TracedValue zero(ClassDesc elementType) {
        Kind kind = Kind.of(elementType);
        return kind == Kind.REF ? reference(null) : known(kind, switch (kind) {
            case DOUBLE -> 0.0;
            case FLOAT -> 0.0f;
            case LONG -> 0L;
            default -> 0;
        });
    }

    static boolean isVoid(ClassDesc type) {
        return type.equals(ConstantDescs.CD_void);
    }

    /** A Const argument is a value that may change between calls, except integers; x's entries depend on themselves. */
    static TracedValue argument(ClassDesc type, Object value, boolean isInput) throws DependencyTracer.Untraceable {
        return switch (type.descriptorString()) {
            case "D" -> varying(Kind.DOUBLE, NONE);
            case "F" -> varying(Kind.FLOAT, NONE);
            case "J" -> known(Kind.LONG, (Long) value);
            case "Z" -> known(Kind.INT, (Boolean) value ? 1 : 0);
            case "C" -> known(Kind.INT, (int) (Character) value);
            case "I", "B", "S" -> known(Kind.INT, ((Number) value).intValue());
            case "[D" -> {
                double[] array = (double[]) value;
                TracedValue[] elements = new TracedValue[array.length];
                for (int j = 0; j < array.length; j++) {
                    BitSet self = new BitSet();
                    if (isInput) {
                        self.set(j);
                    }
                    elements[j] = varying(Kind.DOUBLE, isInput ? self : NONE);
                }
                yield reference(new TracedArray(elements));
            }
            default -> throw new DependencyTracer.Untraceable("a parameter of type " + type.displayName());
        };
    }

    /** A constant the code pushes ({@code LDC}, {@code ICONST_1}...). */
    static TracedValue constant(Object value) throws DependencyTracer.Untraceable {
        return switch (value) {
            case Integer i -> known(Kind.INT, i);
            case Long l -> known(Kind.LONG, l);
            case Double d -> known(Kind.DOUBLE, d);
            case Float f -> known(Kind.FLOAT, f);
            case null -> reference(null);
            default -> throw new DependencyTracer.Untraceable("a constant " + value);
        };
    }

    boolean isKnown() {
        return known != null;
    }

    static BitSet union(BitSet a, BitSet b) {
        if (b.isEmpty() || a.equals(b)) {
            return a;
        }
        if (a.isEmpty()) {
            return b;
        }
        BitSet both = (BitSet) a.clone();
        both.or(b);
        return both;
    }
}
