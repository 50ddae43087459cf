package jenzyme.kernel.exec;

import jdk.jshell.execution.LoaderDelegate;
import jdk.jshell.spi.ExecutionControl.ClassBytecodes;
import jdk.jshell.spi.ExecutionControl.ClassInstallException;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.constant.ClassDesc;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import jenzyme.runtime.error.Messages;

/**
 * Evaluation layer: where JShell's compiled snippet classes enter the JVM. For each batch it records JShell's
 * original bytes in the {@link SnippetClassStore} (for the compiler frontend), weaves interrupt checks into a copy
 * ({@link StopCheckWeaver}) and defines that copy in the {@link SnippetClassLoader}. Called by
 * {@link InProcessExecutionControl}; JShell then finds the classes here to invoke snippets.
 */
final class SnippetLoaderDelegate implements LoaderDelegate {

    private final SnippetClassLoader loader;
    private final SnippetClassStore store;
    private final Map<String, Class<?>> loaded = new ConcurrentHashMap<>();
    private final Map<String, byte[]> batch = new HashMap<>();
    private final StopCheckWeaver weaver;
    private final Consumer<String> warnings;

    SnippetLoaderDelegate(SnippetClassLoader loader, SnippetClassStore store, Consumer<String> warnings) {
        this.loader = loader;
        this.store = store;
        this.warnings = warnings;
        // Supertypes of snippet classes come from this batch or from earlier snippets; library classes from the loader.
        this.weaver = new StopCheckWeaver(ClassHierarchyResolver.ofResourceParsing(this::snippetClassFile)
                .orElse(ClassHierarchyResolver.ofResourceParsing(loader)));
    }

    SnippetClassLoader classLoader() {
        return loader;
    }

    @Override
    public synchronized void load(ClassBytecodes[] cbcs) throws ClassInstallException {
        batch.clear();
        for (ClassBytecodes cbc : cbcs) {
            batch.put(cbc.name(), cbc.bytecodes());
        }
        for (ClassBytecodes cbc : cbcs) {
            loader.declare(cbc.name(), interruptible(cbc));
        }
        boolean[] installed = new boolean[cbcs.length];
        for (int i = 0; i < cbcs.length; i++) {
            String name = cbcs[i].name();
            try {
                loaded.put(name, loader.loadClass(name));
            } catch (ClassNotFoundException | LinkageError e) {
                throw new ClassInstallException(Messages.SNIPPET_LOAD_FAILED.format(name, e), installed);
            }
            store.record(name, cbcs[i].bytecodes());
            installed[i] = true;
        }
        batch.clear();
    }

    /**
     * Falls back to the original bytes if weaving fails (e.g. a supertype the resolver cannot see): the cell still
     * runs, it is only interruptible by thread interruption, and the user is told so.
     */
    private byte[] interruptible(ClassBytecodes cbc) {
        try {
            return weaver.instrument(cbc.bytecodes());
        } catch (RuntimeException e) {
            warnings.accept(Messages.NO_INTERRUPT_CHECKS.format(cbc.name(), e.getMessage()));
            return cbc.bytecodes();
        }
    }

    private ByteArrayInputStream snippetClassFile(ClassDesc desc) {
        String descriptor = desc.descriptorString();
        String internalName = descriptor.substring(1, descriptor.length() - 1);
        byte[] bytes = batch.get(internalName.replace('/', '.'));
        if (bytes == null) {
            bytes = store.bytesOf(internalName).orElse(null);
        }
        return bytes == null ? null : new ByteArrayInputStream(bytes);
    }

    @Override
    public void classesRedefined(ClassBytecodes[] cbcs) {
        throw new IllegalStateException(Messages.SNIPPET_REDEFINED.format());
    }

    @Override
    public void addToClasspath(String path) {
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                loader.addEntry(Path.of(entry));
            }
        }
    }

    @Override
    public Class<?> findClass(String name) throws ClassNotFoundException {
        Class<?> klass = loaded.get(name);
        return klass != null ? klass : loader.loadClass(name);
    }
}
