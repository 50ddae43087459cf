package jenzyme.kernel.exec;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import jenzyme.runtime.error.Messages;

/**
 * Evaluation layer: the class loader of all snippet classes and of jars added with {@code %classpath}. Its parent
 * is the kernel's own loader, so cells can call {@code jenzyme.*} classes (the notebook API, binding registries)
 * and share their static state with the kernel. Snippet classes are declared first and defined on demand, so a
 * batch may be loaded in any order (a class is defined when its subclass or a caller first needs it).
 */
final class SnippetClassLoader extends URLClassLoader {

    static {
        registerAsParallelCapable();
    }

    private final Map<String, byte[]> declared = new ConcurrentHashMap<>();

    SnippetClassLoader(ClassLoader parent) {
        super("jenzyme-snippets", new URL[0], parent);
    }

    void declare(String binaryName, byte[] classFile) {
        declared.put(binaryName, classFile);
    }

    void addEntry(Path jarOrDirectory) {
        try {
            addURL(jarOrDirectory.toUri().toURL());
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(Messages.CLASSPATH_ENTRY_UNUSABLE.format(jarOrDirectory), e);
        }
    }

    /** The class file of {@code internalName} in an added jar or directory (not the parent's), if there is one. */
    Optional<byte[]> addedClassFile(String internalName) {
        URL url = findResource(internalName + ".class");
        if (url == null) {
            return Optional.empty();
        }
        try (InputStream in = url.openStream()) {
            return Optional.of(in.readAllBytes());
        } catch (IOException unreadable) {
            return Optional.empty();
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] classFile = declared.remove(name);
        if (classFile == null) {
            return super.findClass(name);
        }
        return defineClass(name, classFile, 0, classFile.length);
    }
}
