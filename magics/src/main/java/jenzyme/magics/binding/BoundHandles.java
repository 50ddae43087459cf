package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;

/**
 * Hands method handles to the stubs that {@link BindingStubs} defines in JShell. JShell can only bind a Java
 * method by compiling source, and source cannot hold a MethodHandle, so each stub's holder class reads a call site
 * from here, into a {@code static final} field that the JVM's JIT treats as a constant (a {@link MutableCallSite}'s
 * invoker inlines like a constant handle until the site is retargeted).
 *
 * <p>A holder keeps its key while the handle's type stays the same: binding the same name again with stubs of the
 * same source then only retargets the site ({@link #commit}), and JShell need not compile anything. Compiling the
 * stubs was 70-90% of a warm {@code %autodiff} (1.7 s of 2.5 s at load 16, ./bench --latency). A new type gets a
 * new key, and the previous key is dropped once the new one is committed.
 *
 * <p>A key stays readable for as long as it is its holder's current one: JShell recompiles (and re-initialises)
 * holder classes whenever a later cell changes what they see — a new star import is enough — and a handle taken
 * once was gone for the second initialisation (ExceptionInInitializerError, then NoClassDefFoundError for every
 * binding already called).
 */
public final class BoundHandles {

    private record Pending(String holder, MethodHandle handle) {}

    private static final Map<String, MutableCallSite> SITES = new ConcurrentHashMap<>();
    private static final Map<String, Pending> PENDING = new ConcurrentHashMap<>();
    private static final Map<String, String> KEY_OF_HOLDER = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT = new AtomicLong();
    private static final MethodHandle RETRY;

    static {
        try {
            RETRY = MethodHandles.lookup().findStatic(BoundHandles.class, "retry", MethodType.methodType(Object.class,
                    MutableCallSite.class, MethodHandle[].class, BindingException.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private BoundHandles() {}

    /**
     * Registers the handle of holder class {@code holder} and returns the key its source reads; the handle takes
     * effect at {@link #commit} (or when a holder first reads the key).
     */
    static synchronized String put(String holder, MethodHandle handle) {
        String key = KEY_OF_HOLDER.get(holder);
        MutableCallSite site = key == null ? null : SITES.get(key);
        if (site == null || !site.type().equals(handle.type())) {
            key = "h" + NEXT.incrementAndGet();
        }
        PENDING.put(key, new Pending(holder, handle));
        return key;
    }

    /** The stubs reading {@code key} are defined (or already were): calls through it now reach the new handle. */
    static synchronized void commit(String key) {
        Pending pending = PENDING.remove(key);
        if (pending == null) {
            return;
        }
        MutableCallSite site = SITES.get(key);
        if (site != null) {
            site.setTarget(retryingOnNewTarget(site, pending.handle()));
            MutableCallSite.syncAll(new MutableCallSite[] {site});
            return;
        }
        site = new MutableCallSite(pending.handle().type());
        site.setTarget(retryingOnNewTarget(site, pending.handle()));
        SITES.put(key, site);
        String previous = KEY_OF_HOLDER.put(pending.holder(), key);
        if (previous != null) {
            SITES.remove(previous);
        }
    }

    /**
     * {@code handle} as {@code site}'s target, running a call again on the site's newer target if its code was
     * released before the call entered it. Re-deriving a binding retargets its site and then closes the old code,
     * but a thread may have read the old target just before: its call found the code closed (1-2 calls in 20
     * re-derivations under 3 calling threads, QA R2). Nothing of such a call ran, so the new code runs it; the
     * refusal stands when the site still targets the released code (the kernel closed it, or nothing replaced it).
     */
    private static MethodHandle retryingOnNewTarget(MutableCallSite site, MethodHandle handle) {
        MethodHandle[] self = new MethodHandle[1];
        MethodType type = handle.type();
        MethodHandle retry = MethodHandles.insertArguments(RETRY, 0, site, self)
                .asCollector(Object[].class, type.parameterCount())
                .asType(type.insertParameterTypes(0, BindingException.class));
        self[0] = MethodHandles.catchException(handle, BindingException.class, retry);
        return self[0];
    }

    private static Object retry(MutableCallSite site, MethodHandle[] self, BindingException refused, Object[] args)
            throws Throwable {
        MethodHandle now = site.getTarget(); // seen: the release that refused the call came after the retarget
        if (!refused.isCodeReleased() || now == self[0]) {
            throw refused;
        }
        return now.invokeWithArguments(args);
    }

    /** The stubs reading {@code key} were refused: the holder keeps calling what it called before. */
    static synchronized void discard(String key) {
        PENDING.remove(key);
    }

    /** Called by generated stubs only, each time JShell initialises their holder class. */
    public static MethodHandle take(String key) {
        commit(key); // a holder initialised while its stubs are being defined
        MutableCallSite site = SITES.get(key);
        if (site == null) {
            throw new IllegalStateException(Messages.BINDING_REPLACED.format(key));
        }
        return site.dynamicInvoker();
    }
}
