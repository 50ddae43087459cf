package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jenzyme.runtime.error.Messages;

/**
 * Hands method handles to the stubs that {@link BindingStubs} defines in JShell. JShell can only bind a Java
 * method by compiling source, and source cannot hold a MethodHandle, so each stub's holder class reads its handle
 * from here, into a {@code static final} field that the JVM's JIT treats as a constant.
 *
 * <p>A handle stays readable for as long as its holder is the current one of its name: JShell recompiles (and
 * re-initialises) holder classes whenever a later cell changes what they see — a new star import is enough — and a
 * handle taken once was gone for the second initialisation (ExceptionInInitializerError, then NoClassDefFoundError
 * for every binding already called). Binding the same name again drops the previous handle, so the registry holds
 * one handle per generated name.
 */
public final class BoundHandles {

    private static final Map<String, MethodHandle> HANDLES = new ConcurrentHashMap<>();
    private static final Map<String, String> KEY_OF_HOLDER = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT = new AtomicLong();

    private BoundHandles() {}

    /** Registers the handle of holder class {@code holder}, replacing the one a previous binding of it had. */
    static String put(String holder, MethodHandle handle) {
        String key = "h" + NEXT.incrementAndGet();
        HANDLES.put(key, handle);
        String previous = KEY_OF_HOLDER.put(holder, key);
        if (previous != null) {
            HANDLES.remove(previous);
        }
        return key;
    }

    /** Called by generated stubs only, each time JShell initialises their holder class. */
    public static MethodHandle take(String key) {
        MethodHandle handle = HANDLES.get(key);
        if (handle == null) {
            throw new IllegalStateException(Messages.BINDING_REPLACED.format(key));
        }
        return handle;
    }
}
