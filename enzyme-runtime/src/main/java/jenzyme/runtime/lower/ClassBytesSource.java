package jenzyme.runtime.lower;

import java.util.Optional;

/**
 * Where the frontend gets class files from: the kernel's record of JShell snippet classes, or a test's freshly
 * compiled classes. Keyed by internal name ({@code REPL/$JShell$12}) because that is how bytecode refers to owners.
 */
@FunctionalInterface
public interface ClassBytesSource {

    Optional<byte[]> bytesOf(String internalName);

    /**
     * The class as the running JVM loaded it, if this source knows it: the binder reads the static fields compiled
     * code uses from it at every call. Empty by default; the binder then tries the context class loader.
     */
    default Optional<Class<?>> loadedClass(String internalName) {
        return Optional.empty();
    }
}
