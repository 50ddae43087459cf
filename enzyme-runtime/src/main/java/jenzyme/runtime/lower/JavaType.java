package jenzyme.runtime.lower;

import java.lang.constant.ClassDesc;
import java.util.List;
import java.util.Optional;

/**
 * The Java types a compiled method may take or return, and how each crosses into LLVM: scalars as one LLVM value,
 * arrays as two (a pointer to the first element, no object header, then an {@code i32} length), {@code boolean} as
 * an {@code i8} holding 0 or 1 (the C {@code bool} ABI that FFM's {@code JAVA_BOOLEAN} uses).
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

    public boolean isArray() {
        return descriptor.startsWith("[");
    }

    /** Java source spelling, for messages. */
    @Override
    public String javaName() {
        return javaClass.getSimpleName();
    }
}
