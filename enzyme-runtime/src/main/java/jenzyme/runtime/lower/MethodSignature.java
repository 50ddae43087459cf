package jenzyme.runtime.lower;

import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.Messages;

/** A method descriptor checked against the supported types; the first stage every lowered method goes through. */
record MethodSignature(List<JavaType> parameters, JavaType returnType) {

    MethodSignature {
        parameters = List.copyOf(parameters);
    }

    /** Whether the method returns an array, which crosses as a trailing (ptr, i32) result parameter. */
    boolean returnsArray() {
        return returnType.isArray();
    }

    /** Parses {@code descriptor}; throws {@link Unsupported} naming the first type outside the subset. */
    static MethodSignature parse(String descriptor) {
        MethodTypeDesc type;
        try {
            type = MethodTypeDesc.ofDescriptor(descriptor);
        } catch (IllegalArgumentException e) {
            throw Unsupported.malformed("method descriptor " + descriptor);
        }
        List<JavaType> parameters = new ArrayList<>();
        for (ClassDesc parameter : type.parameterList()) {
            JavaType javaType = JavaType.of(parameter).filter(t -> t != JavaType.VOID)
                    .orElseThrow(() -> Unsupported.type("parameter", parameter.descriptorString()));
            parameters.add(javaType);
        }
        JavaType returnType = JavaType.of(type.returnType()).orElseThrow(
                () -> Unsupported.type("return", type.returnType().descriptorString()));
        // A double[] result is written to a hidden (ptr, i32) result array the caller passes (IrModule.functionType).
        if (returnType.isArray() && returnType != JavaType.DOUBLE_ARRAY) {
            throw Unsupported.construct(Messages.RETURNING_ARRAY, returnType.javaName());
        }
        return new MethodSignature(parameters, returnType);
    }

    /** JVM local-variable slot of each parameter of a static method (long and double take two). */
    int[] parameterSlots() {
        int[] slots = new int[parameters.size()];
        int slot = 0;
        for (int i = 0; i < slots.length; i++) {
            slots[i] = slot;
            slot += ValueKind.of(parameters.get(i)).isWide() ? 2 : 1;
        }
        return slots;
    }
}
