package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MutableCallSite;
import java.util.Collection;
import java.util.HashMap;
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
 *
 * <p>Once JShell accepted the stubs ({@link #commit}), a holder reads a {@link MutableCallSite}'s invoker, shared by
 * every version of the holder whose handles have the same type and output slots: re-deriving a binding then
 * retargets the site, so threads started before (still running the old version of the stubs, which JShell cannot
 * replace under them) call the new code instead of the released one. A binding whose calling convention changed
 * gets a new site; threads running its old stubs then get the "released" error.
 */
public final class BoundHandles {

    private record Site(MutableCallSite site, int slots) {}

    private record Pending(String holder, MethodHandle handle, int slots) {}

    private static final Map<String, MethodHandle> HANDLES = new ConcurrentHashMap<>();
    private static final Map<String, String> KEY_OF_HOLDER = new ConcurrentHashMap<>();
    private static final Map<String, Site> SITE_OF_HOLDER = new ConcurrentHashMap<>();
    private static final Map<String, Pending> PENDING = new HashMap<>();
    private static final AtomicLong NEXT = new AtomicLong();

    private BoundHandles() {}

    /**
     * Registers the handle of holder class {@code holder} (whose stubs pass {@code slots} output slots, -1 for
     * none); it takes the place of the previous one of that holder at {@link #commit}.
     */
    static synchronized String put(String holder, MethodHandle handle, int slots) {
        String key = "h" + NEXT.incrementAndGet();
        HANDLES.put(key, handle); // until the commit (JShell does not initialise a class it only defines)
        PENDING.put(key, new Pending(holder, handle, slots));
        return key;
    }

    /**
     * JShell accepted the stubs reading {@code keys}: their handles become the current ones of their holders. Any
     * other handle still pending belongs to stubs that were never defined (the magic failed before) and is dropped.
     */
    static synchronized void commit(Collection<String> keys) {
        for (String key : keys) {
            Pending pending = PENDING.remove(key);
            if (pending == null) {
                continue;
            }
            String holder = pending.holder();
            Site site = SITE_OF_HOLDER.get(holder);
            if (site != null && site.slots() == pending.slots() && site.site().type().equals(pending.handle().type())) {
                site.site().setTarget(pending.handle());
                MutableCallSite.syncAll(new MutableCallSite[] {site.site()}); // threads in a loop see it at once
            } else {
                site = new Site(new MutableCallSite(pending.handle()), pending.slots());
                SITE_OF_HOLDER.put(holder, site);
            }
            HANDLES.put(key, site.site().dynamicInvoker());
            String previous = KEY_OF_HOLDER.put(holder, key);
            if (previous != null) {
                HANDLES.remove(previous);
            }
        }
        discard();
    }

    /** The pending handles' stubs were refused (or never defined): they are forgotten, the current ones stay. */
    static synchronized void discard() {
        PENDING.keySet().forEach(HANDLES::remove);
        PENDING.clear();
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
