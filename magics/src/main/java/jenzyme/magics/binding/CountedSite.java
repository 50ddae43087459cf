package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.concurrent.atomic.AtomicReference;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.jit.InFlightCalls;

/**
 * One holder's call site: the code its stubs call now, and the calls inside every code it called, each counted
 * before it reads which code that is. Re-deriving a binding retargets the site; the replaced code is closed when the
 * last call that read it returns, so a call never finds its code released. Before, the kernel closed the old code
 * right after retargeting, and a call that had just read the old target was refused as released (QA R2, 1-2 calls
 * in 20 re-derivations under 3 calling threads), which a retry on the new target then papered over.
 *
 * <p>The protocol is {@link InFlightCalls}'s: a call reads the site's {@link Target}, counts itself in it and then
 * checks that it is still current. If it was replaced meanwhile, the call backs out and reads the site again; if it
 * is current, whoever replaces it checks the count only after marking it replaced, and sees the call.
 *
 * <p>The site's target is the current {@link Target} as a constant, and a record's final fields are constants to the
 * JVM's JIT, so the code's handle inlines into the stub like a constant until the site is retargeted.
 */
final class CountedSite {

    /** Replaced, and what to close once idle not yet given ({@link #closeWhenIdle}). */
    private static final Object REPLACED = new Object();
    /** Replaced and closed (or nothing to close). */
    private static final Object DONE = new Object();

    /**
     * A code the site hands out. {@code state}: null while current, then {@link #REPLACED}, then the
     * {@link AutoCloseable} to close once no call is inside, then {@link #DONE}.
     */
    record Target(String holder, MethodHandle handle, InFlightCalls calls, AtomicReference<Object> state) {

        Target(String holder, MethodHandle handle) {
            this(holder, handle, new InFlightCalls(), new AtomicReference<>());
        }

        /** Counts a call in; false (not counted) if the target was replaced before the call could enter it. */
        private boolean enter() {
            calls.enter();
            if (state.get() == null) {
                return true;
            }
            exit();
            return false;
        }

        private void exit() {
            calls.exit();
            if (state.get() != null) {
                closeIfIdle();
            }
        }

        /** Closes {@code code} (the code of this replaced target) once no call is inside; null: nothing to close. */
        void closeWhenIdle(AutoCloseable code) {
            if (!state.compareAndSet(REPLACED, code == null ? DONE : code)) {
                throw new IllegalStateException(Messages.CODE_HANDED_OVER_TWICE.format());
            }
            closeIfIdle();
        }

        private void closeIfIdle() {
            if (state.get() instanceof AutoCloseable code && calls.idle() && state.compareAndSet(code, DONE)) {
                try {
                    code.close();
                } catch (Exception e) {
                    throw new IllegalStateException(Messages.RELEASE_FAILED.format(holder), e);
                }
            }
        }
    }

    private static final MethodHandle ENTER;
    private static final MethodHandle EXIT;
    private static final MethodHandle HANDLE;
    private static final MethodHandle AGAIN;

    static {
        try {
            var lookup = MethodHandles.lookup();
            ENTER = lookup.findVirtual(Target.class, "enter", MethodType.methodType(boolean.class));
            EXIT = lookup.findVirtual(Target.class, "exit", MethodType.methodType(void.class));
            HANDLE = lookup.findVirtual(Target.class, "handle", MethodType.methodType(MethodHandle.class));
            AGAIN = lookup.findVirtual(CountedSite.class, "again",
                    MethodType.methodType(Object.class, Target.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String holder;
    private final MutableCallSite site;
    private volatile Target current;
    private final MethodHandle counted;

    CountedSite(String holder, MethodHandle first) {
        this.holder = holder;
        this.current = new Target(holder, first);
        this.site = new MutableCallSite(MethodHandles.constant(Target.class, current));
        this.counted = countedCall(first.type());
    }

    String holder() {
        return holder;
    }

    MethodType type() {
        return counted.type();
    }

    /** The handle the holder's stubs call: through the site's current code, counted while inside it. */
    MethodHandle handle() {
        return counted;
    }

    /** The code's handle calls reach now (the stale guard's, see {@link StaleBindings}). */
    MethodHandle currentHandle() {
        return current.handle();
    }

    /** Makes {@code handle} the site's code; returns the replaced target, for {@link Target#closeWhenIdle}. */
    synchronized Target retarget(MethodHandle handle) {
        Target replaced = current;
        current = new Target(holder, handle);
        site.setTarget(MethodHandles.constant(Target.class, current));
        MutableCallSite.syncAll(new MutableCallSite[] {site});
        replaced.state.set(REPLACED); // after the new target is visible: a call that backs out finds it
        return replaced;
    }

    /** Nothing replaces the site's code (its holder got stubs of another type): calls through it are refused. */
    synchronized Target retire() {
        current.state.set(REPLACED);
        return current;
    }

    /** {@code (args) -> t = current target; count in t, call t.handle(args), count out; or again(t, args)}. */
    private MethodHandle countedCall(MethodType type) {
        MethodHandle call = MethodHandles.filterArguments(MethodHandles.exactInvoker(type), 0, HANDLE);
        Class<?> result = type.returnType();
        MethodHandle cleanup = result == void.class
                ? MethodHandles.empty(MethodType.methodType(void.class, Throwable.class))
                : MethodHandles.dropArguments(MethodHandles.identity(result), 0, Throwable.class);
        int targetAt = cleanup.type().parameterCount();
        cleanup = MethodHandles.foldArguments(MethodHandles.dropArguments(cleanup, targetAt, Target.class), targetAt, EXIT);
        MethodHandle again = AGAIN.bindTo(this).asCollector(Object[].class, type.parameterCount())
                .asType(type.insertParameterTypes(0, Target.class));
        MethodHandle dispatch = MethodHandles.guardWithTest(ENTER, MethodHandles.tryFinally(call, cleanup), again);
        return MethodHandles.foldArguments(dispatch, site.dynamicInvoker());
    }

    /**
     * A call that read {@code stale} just before it was replaced: runs on the current target instead (nothing of it
     * ran yet), or is refused if nothing replaced it.
     */
    private Object again(Target stale, Object[] args) throws Throwable {
        for (Target now = current; now != stale; now = current) {
            if (now.enter()) {
                try {
                    return now.handle().invokeWithArguments(args);
                } finally {
                    now.exit();
                }
            }
        }
        String name = holder.substring(0, holder.lastIndexOf('$')); // holder: name$kind (BindingStubs.holder)
        throw new BindingException(Messages.CODE_RELEASED.format(name), name, null);
    }
}
