package jenzyme.runtime;

import java.util.Objects;
import jenzyme.runtime.lower.BytecodeLowering;
import jenzyme.runtime.lower.ClassBytesSource;

/**
 * The input of the {@link Pipeline}: a static method and where its class files (and those of the methods it calls)
 * come from — the kernel's snippet classes, a test's freshly compiled classes, or a program's class path.
 *
 * @param ownerInternalName e.g. {@code REPL/$JShell$12} or {@code demo/Poly}
 * @param descriptor        e.g. {@code (D[DI)D}
 */
public record JavaMethod(ClassBytesSource classes, String ownerInternalName, String name, String descriptor) {

    public JavaMethod {
        Objects.requireNonNull(classes, "classes");
        Objects.requireNonNull(ownerInternalName, "ownerInternalName");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(descriptor, "descriptor");
    }

    /**
     * The only static method called {@code name} in {@code ownerInternalName}.
     *
     * @throws jenzyme.runtime.error.LoweringException if there is none, or several
     */
    public static JavaMethod unique(ClassBytesSource classes, String ownerInternalName, String name) {
        return new JavaMethod(classes, ownerInternalName, name,
                new BytecodeLowering(classes).uniqueDescriptor(ownerInternalName, name));
    }

    /** {@code demo.Poly.f(D)D}, for messages. */
    @Override
    public String toString() {
        return ownerInternalName.replace('/', '.') + "." + name + descriptor;
    }
}
