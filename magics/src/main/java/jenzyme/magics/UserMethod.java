package jenzyme.magics;

import java.util.Objects;
import jenzyme.runtime.lower.JvmNames;

/**
 * One cell method as the frontend must find it: the snippet class that declares it now (internal name, e.g.
 * {@code REPL/$JShell$6C}), its name and JVM descriptor (e.g. {@code (D)D}), and the source the user wrote.
 * Top-level JShell methods are {@code public static} members of their wrapper class, so a call to {@code f} from
 * another cell compiles to {@code invokestatic <ownerInternalName>.f<descriptor>}.
 */
public record UserMethod(String ownerInternalName, String name, String descriptor, String source) {

    public UserMethod {
        Objects.requireNonNull(ownerInternalName, "ownerInternalName");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(descriptor, "descriptor");
        Objects.requireNonNull(source, "source");
        JvmNames.checkMethod(ownerInternalName, descriptor, IllegalArgumentException::new);
    }
}
