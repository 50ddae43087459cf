package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands method handles to the stubs that {@link BindingStubs} defines in JShell. JShell can only bind a Java
 * method by compiling source, and source cannot hold a MethodHandle, so each stub's holder class reads its handle
 * from here once, into a {@code static final} field that the JVM's JIT treats as a constant. A key is taken once:
 * the registry keeps nothing alive after the stub holds the handle.
 */
public final class BoundHandles {

    private static final Map<String, MethodHandle> WAITING = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT = new AtomicLong();

    private BoundHandles() {}

    static String put(MethodHandle handle) {
        String key = "h" + NEXT.incrementAndGet();
        WAITING.put(key, handle);
        return key;
    }

    /** Called by generated stubs only. */
    public static MethodHandle take(String key) {
        MethodHandle handle = WAITING.remove(key);
        if (handle == null) {
            throw new IllegalStateException("no method handle waits under " + key + " (taken already?)");
        }
        return handle;
    }
}
