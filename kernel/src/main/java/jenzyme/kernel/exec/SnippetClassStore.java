package jenzyme.kernel.exec;

import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Evaluation layer → frontend hand-off: the class files of JShell snippet classes exactly as JShell compiled them
 * (without the kernel's interrupt checks), recorded by {@link SnippetLoaderDelegate} when a class is loaded. The
 * frontend reads them through {@link ClassBytesSource} by internal name ({@code REPL/$JShell$12}). JShell never
 * redefines a loaded class in place here (our execution control does not support redefinition), so a changed
 * snippet arrives under a new name; if the same name is loaded again, the latest bytes win.
 */
public final class SnippetClassStore implements ClassBytesSource {

    private final Map<String, byte[]> bytesByInternalName = new ConcurrentHashMap<>();

    void record(String binaryName, byte[] classFile) {
        bytesByInternalName.put(binaryName.replace('.', '/'), classFile.clone());
    }

    @Override
    public Optional<byte[]> bytesOf(String internalName) {
        if (internalName.indexOf('.') >= 0) {
            throw new IllegalArgumentException(Messages.NOT_A_SNIPPET_CLASS.format(internalName));
        }
        return Optional.ofNullable(bytesByInternalName.get(internalName)).map(byte[]::clone);
    }
}
