package jenzyme.runtime.bind;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;

/**
 * The Java view of a native function that follows the lowered-code convention: a status-block pointer first (added
 * by the binder, not listed here), then {@link #arguments()}, returning {@link #returnType()} (a primitive or void).
 */
public record NativeSignature(List<NativeArgument> arguments, Class<?> returnType) {

    public NativeSignature {
        arguments = List.copyOf(arguments);
        if (returnType != void.class && !returnType.isPrimitive()) {
            throw new IllegalArgumentException("expected a primitive or void return type, got " + returnType.getName());
        }
    }

    /**
     * The signature of a lowered entry point: arrays as (pointer, length), scalars by value, the static fields it
     * reads after the Java parameters (for {@link StaticFieldReads#supply}).
     */
    public static NativeSignature of(EntryPoint entry) {
        List<JavaType> types = new ArrayList<>(entry.parameters().stream().map(NativeParameter::type).toList());
        entry.fields().forEach(f -> types.add(f.field().type()));
        List<NativeArgument> arguments = new ArrayList<>();
        for (JavaType type : types) {
            arguments.add(type.isArray() ? NativeArgument.arrayAndLength(type.javaClass())
                    : NativeArgument.value(type.javaClass()));
        }
        return new NativeSignature(arguments, entry.returnType().javaClass());
    }

    /** The type of the bound method handle: the Java method's own type. */
    public MethodType javaType() {
        return MethodType.methodType(returnType, arguments.stream().map(NativeArgument::javaType).toList());
    }

    /** The C-level descriptor, status pointer first. */
    public FunctionDescriptor functionDescriptor() {
        List<MemoryLayout> layouts = new ArrayList<>();
        layouts.add(ValueLayout.ADDRESS);
        for (NativeArgument argument : arguments) {
            switch (argument.passing()) {
                case VALUE -> layouts.add(layoutOf(argument.javaType()));
                case ARRAY_AND_LENGTH -> {
                    layouts.add(ValueLayout.ADDRESS);
                    layouts.add(ValueLayout.JAVA_INT);
                }
                case ARRAY_POINTER -> layouts.add(ValueLayout.ADDRESS);
            }
        }
        MemoryLayout[] params = layouts.toArray(MemoryLayout[]::new);
        return returnType == void.class ? FunctionDescriptor.ofVoid(params)
                : FunctionDescriptor.of(layoutOf(returnType), params);
    }

    private static MemoryLayout layoutOf(Class<?> primitive) {
        if (primitive == double.class) return ValueLayout.JAVA_DOUBLE;
        if (primitive == float.class) return ValueLayout.JAVA_FLOAT;
        if (primitive == int.class) return ValueLayout.JAVA_INT;
        if (primitive == long.class) return ValueLayout.JAVA_LONG;
        if (primitive == boolean.class) return ValueLayout.JAVA_BOOLEAN;
        throw new BindingException("expected double, float, int, long or boolean, got " + primitive.getName());
    }
}
