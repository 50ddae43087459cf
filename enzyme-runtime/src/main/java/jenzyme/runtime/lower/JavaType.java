package jenzyme.runtime.lower;

import java.lang.constant.ClassDesc;
import java.util.List;
import java.util.Optional;
import jenzyme.runtime.error.Messages;

/**
 * The Java types a compiled method may take or return, and how each crosses into LLVM: scalars as one LLVM value,
 * arrays as two (a pointer to the first element, no object header, then an {@code i32} length), {@code boolean} as
 * an {@code i8} holding 0 or 1 (the C {@code bool} ABI that FFM's {@code JAVA_BOOLEAN} uses).
 *
 * <p>A two-dimensional (jagged) array crosses as three: a pointer to its row table (one data pointer per row), a
 * pointer to its row-length table (one {@code i32} per row) and its {@code i32} row count. Two tables, not one of
 * (pointer, length) pairs: Enzyme's type analysis gives every offset of an object one type, and a row table that
 * holds only pointers has a shadow of the same shape (a table of shadow rows) while the lengths stay Const.
 */
public enum JavaType implements Shape {
    BOOLEAN("Z", boolean.class, "i8"),
    INT("I", int.class, "i32"),
    LONG("J", long.class, "i64"),
    FLOAT("F", float.class, "float"),
    DOUBLE("D", double.class, "double"),
    DOUBLE_ARRAY("[D", double[].class, "ptr", "i32"),
    FLOAT_ARRAY("[F", float[].class, "ptr", "i32"),
    INT_ARRAY("[I", int[].class, "ptr", "i32"),
    LONG_ARRAY("[J", long[].class, "ptr", "i32"),
    DOUBLE_MATRIX("[[D", double[][].class, "ptr", "ptr", "i32"),
    FLOAT_MATRIX("[[F", float[][].class, "ptr", "ptr", "i32"),
    INT_MATRIX("[[I", int[][].class, "ptr", "ptr", "i32"),
    LONG_MATRIX("[[J", long[][].class, "ptr", "ptr", "i32"),
    /**
     * Not a Java type: the pointer to the fields of an object that compiled code writes ({@link RecordShape#isWritten}),
     * the one leaf such an object crosses a boundary between compiled methods as. Its descriptor matches no field.
     */
    OBJECT_REF("L*;", Object.class, "ptr"),
    VOID("V", void.class);

    private final String descriptor;
    private final Class<?> javaClass;
    private final List<String> llvmTypes;

    JavaType(String descriptor, Class<?> javaClass, String... llvmTypes) {
        this.descriptor = descriptor;
        this.javaClass = javaClass;
        this.llvmTypes = List.of(llvmTypes);
    }

    /** The supported type with this field descriptor ({@code "D"}, {@code "[D"}, ...), if any. */
    public static Optional<JavaType> ofDescriptor(String descriptor) {
        for (JavaType type : values()) {
            if (type.descriptor.equals(descriptor)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    static Optional<JavaType> of(ClassDesc desc) {
        return ofDescriptor(desc.descriptorString());
    }

    public String descriptor() {
        return descriptor;
    }

    public Class<?> javaClass() {
        return javaClass;
    }

    /** The LLVM parameter types this Java parameter becomes, in order (empty for {@code void}). */
    public List<String> llvmTypes() {
        return llvmTypes;
    }

    @Override
    public List<JavaType> leaves() {
        return List.of(this);
    }

    /** A one- or two-dimensional array. */
    public boolean isArray() {
        return descriptor.startsWith("[");
    }

    /** A two-dimensional (jagged) array: {@code double[][]} and the like. */
    public boolean isMatrix() {
        return descriptor.startsWith("[[");
    }

    /** The row type of a two-dimensional array ({@code double[]} of {@code double[][]}). */
    public JavaType row() {
        return ofDescriptor(descriptor.substring(1)).filter(t -> isMatrix()).orElseThrow(
                () -> new IllegalArgumentException(Messages.NUMERIC_ARRAY_EXPECTED.format(this)));
    }

    /** The two-dimensional array whose rows are this one-dimensional array type. */
    public JavaType matrixOfRows() {
        return ofDescriptor("[" + descriptor).filter(t -> isArray() && !isMatrix()).orElseThrow(
                () -> new IllegalArgumentException(Messages.NUMERIC_ARRAY_EXPECTED.format(this)));
    }

    /** Java source spelling, for messages. */
    @Override
    public String javaName() {
        return javaClass.getSimpleName();
    }
}
