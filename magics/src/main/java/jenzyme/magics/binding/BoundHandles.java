package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jenzyme.runtime.error.Messages;

/**
 * Hands method handles to the stubs that {@link BindingStubs} defines in JShell. JShell can only bind a Java
 * method by compiling source, and source cannot hold a MethodHandle, so each stub's holder class reads a call site
 * from here, into a {@code static final} field that the JVM's JIT treats as a constant: the handle of a
 * {@link CountedSite}, which inlines the current code's handle like a constant until the site is retargeted and
 * closes replaced code only once no call is inside it.
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

    private static final Map<String, CountedSite> SITES = new ConcurrentHashMap<>();
    private static final Map<String, Pending> PENDING = new ConcurrentHashMap<>();
    private static final Map<String, String> KEY_OF_HOLDER = new ConcurrentHashMap<>();
    /** Per holder, the targets replaced since {@link #commit} last handed over the code they call. */
    private static final Map<String, java.util.List<CountedSite.Target>> REPLACED = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT = new AtomicLong();

    private BoundHandles() {}

    /**
     * Registers the handle of holder class {@code holder} and returns the key its source reads; the handle takes
     * effect at {@link #commit} (or when a holder first reads the key).
     */
    static synchronized String put(String holder, MethodHandle handle) {
        String key = KEY_OF_HOLDER.get(holder);
        CountedSite site = key == null ? null : SITES.get(key);
        if (site == null || !site.type().equals(handle.type())) {
            key = "h" + NEXT.incrementAndGet();
        }
        PENDING.put(key, new Pending(holder, handle));
        return key;
    }

    /**
     * The stubs reading {@code key} are defined (or already were): calls through it now reach the new handle, and
     * {@code replaced} (the code the holder called before; null: none, or kept) is closed once no call is inside it.
     */
    static synchronized void commit(String key, AutoCloseable replaced) {
        retarget(key);
        CountedSite site = SITES.get(key);
        java.util.List<CountedSite.Target> before = site == null ? null : REPLACED.remove(site.holder());
        if (before == null) {
            closeNow(key, replaced); // no call can reach it through this holder
            return;
        }
        // Usually one target; more if a bind was refused after its holder took the new handle. The code is closed
        // once every one of them is idle: each hands it on to the next when its last call returns.
        AutoCloseable handOver = replaced;
        for (int i = before.size() - 1; i > 0; i--) {
            CountedSite.Target next = before.get(i);
            AutoCloseable code = handOver;
            handOver = () -> next.closeWhenIdle(code);
        }
        before.getFirst().closeWhenIdle(handOver);
    }

    private static void closeNow(String key, AutoCloseable code) {
        if (code != null) {
            try {
                code.close();
            } catch (Exception e) {
                throw new IllegalStateException(Messages.RELEASE_FAILED.format(key), e);
            }
        }
    }

    private static void retarget(String key) {
        Pending pending = PENDING.remove(key);
        if (pending == null) {
            return;
        }
        CountedSite site = SITES.get(key);
        if (site != null) {
            replaced(pending.holder(), site.retarget(pending.handle()));
            return;
        }
        SITES.put(key, new CountedSite(pending.holder(), pending.handle()));
        String previous = KEY_OF_HOLDER.put(pending.holder(), key);
        CountedSite dropped = previous == null ? null : SITES.remove(previous);
        if (dropped != null) {
            replaced(pending.holder(), dropped.retire());
        }
    }

    private static void replaced(String holder, CountedSite.Target target) {
        REPLACED.computeIfAbsent(holder, h -> new java.util.ArrayList<>()).add(target);
    }

    /** The stubs reading {@code key} were refused: the holder keeps calling what it called before. */
    static synchronized void discard(String key) {
        PENDING.remove(key);
    }

    /** The handle holder key {@code key}'s calls reach now, if the key is current. */
    static java.util.Optional<MethodHandle> current(String key) {
        return java.util.Optional.ofNullable(SITES.get(key)).map(CountedSite::currentHandle);
    }

    /** Called by generated stubs only, each time JShell initialises their holder class. */
    public static synchronized MethodHandle take(String key) {
        retarget(key); // a holder initialised while its stubs are being defined
        CountedSite site = SITES.get(key);
        if (site == null) {
            throw new IllegalStateException(Messages.BINDING_REPLACED.format(key));
        }
        return site.handle();
    }
}
