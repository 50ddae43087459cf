package jenzyme.runtime.lower;

import java.util.List;
import jenzyme.runtime.error.Messages;

/**
 * One Java parameter of a lowered method and the LLVM parameters it became: {@code llvmIndex} is the position of
 * the first of them (the data pointer for arrays, whose length follows at {@code llvmIndex + 1}). Index 0 of every
 * lowered function is the status pointer, so the first Java parameter starts at 1.
 */
public record NativeParameter(String name, JavaType type, int llvmIndex) implements java.io.Serializable {

    public NativeParameter {
        if (type == JavaType.VOID) {
            throw new IllegalArgumentException(Messages.VOID_PARAMETER.format(name));
        }
        if (llvmIndex < 1) {
            throw new IllegalArgumentException(Messages.PARAMETER_AT_STATUS.format(llvmIndex));
        }
    }

    public int llvmCount() {
        return type.llvmTypes().size();
    }

    public List<String> llvmTypes() {
        return type.llvmTypes();
    }
}
