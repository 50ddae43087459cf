package jenzyme.runtime.lower;

/**
 * A hidden parameter of a lowered entry point: the static field whose value the caller passes at {@code llvmIndex}
 * (and the length after it, for arrays).
 */
public record FieldParameter(StaticField field, int llvmIndex) implements java.io.Serializable {

    public int llvmCount() {
        return field.type().llvmTypes().size();
    }
}
