package jenzyme.runtime.lower;

import java.util.function.Function;

/**
 * The check made wherever a method enters by name (the lowering, the notebook's record of cell methods): its owner
 * in the JVM's internal form ({@code demo/Poly}, not {@code demo.Poly}) and a method descriptor ({@code (D[DI)D}).
 */
public final class JvmNames {

    private JvmNames() {}

    /** Throws {@code refuse} applied to the problem if either name is not in the form bytecode uses. */
    public static void checkMethod(String ownerInternalName, String descriptor,
                                   Function<String, ? extends RuntimeException> refuse) {
        if (ownerInternalName.contains(".")) {
            throw refuse.apply("expected an internal class name such as demo/Poly, got " + ownerInternalName);
        }
        if (!descriptor.startsWith("(")) {
            throw refuse.apply("expected a method descriptor such as (D[DI)D, got " + descriptor);
        }
    }
}
