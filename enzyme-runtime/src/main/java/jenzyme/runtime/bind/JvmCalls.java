package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.StatusCode;

/**
 * Compiled code calling back into the JVM (FFM upcalls): the value of a JVM method that has a derivative rule
 * ({@code Erf.erf}), and the hook through which a rule's glue hands over the status block of a compiled rule method
 * that raised. An exception must not leave an upcall (the JVM would exit), so each one is kept for this thread and
 * the binding raises it after the downcall returns ({@link #raisingAfter}); the upcall itself returns NaN and the
 * compiled code runs on to its end, its results discarded. Code with upcalls is never called through a critical
 * downcall (FFM forbids upcalls from those): its arrays are copied ({@link CallRoute}), so GC and interrupts behave
 * as for any long call. Stubs live as long as the JVM (one per JVM method, a few hundred bytes).
 */
public final class JvmCalls {

    private static final Linker LINKER = Linker.nativeLinker();
    /** The first failure of the running call on this thread: a Throwable of a JVM method, or a status block. */
    private static final ThreadLocal<Object> PENDING = new ThreadLocal<>();
    private static final Map<String, MemorySegment> STUBS = new ConcurrentHashMap<>();
    private static final MethodHandle KEEP;
    private static final MethodHandle RULE_FAILED;
    private static final MethodHandle CLEAR;
    private static final MethodHandle RAISE;
    private static volatile MemorySegment ruleFailedStub;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            KEEP = lookup.findStatic(JvmCalls.class, "keep", MethodType.methodType(double.class, Throwable.class));
            RULE_FAILED = lookup.findStatic(JvmCalls.class, "ruleFailed",
                    MethodType.methodType(void.class, MemorySegment.class));
            CLEAR = lookup.findStatic(JvmCalls.class, "clear", MethodType.methodType(void.class));
            RAISE = lookup.findStatic(JvmCalls.class, "raisePending", MethodType.methodType(void.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private JvmCalls() {}

    /** The native address of {@code void jenzyme_rule_failed(ptr status)}. */
    public static MemorySegment ruleFailedHook() {
        if (ruleFailedStub == null) {
            synchronized (JvmCalls.class) {
                if (ruleFailedStub == null) {
                    ruleFailedStub = LINKER.upcallStub(RULE_FAILED, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS),
                            Arena.global());
                }
            }
        }
        return ruleFailedStub;
    }

    /**
     * The native address of {@code double name(double...)} calling the public static method {@code owner.name} of
     * {@code arity} doubles, made once per JVM under {@code symbol}.
     *
     * @throws BindingException if there is no such method or it is not accessible
     */
    public static MemorySegment upcall(String symbol, Class<?> owner, String name, int arity) {
        return STUBS.computeIfAbsent(symbol, s -> {
            Class<?>[] doubles = new Class<?>[arity];
            java.util.Arrays.fill(doubles, double.class);
            MethodHandle target;
            try {
                target = MethodHandles.publicLookup().findStatic(owner, name, MethodType.methodType(double.class,
                        doubles));
            } catch (ReflectiveOperationException | SecurityException e) {
                throw new BindingException(Messages.RULE_JVM_METHOD_ACCESS.format(owner.getName() + "." + name,
                        e.getMessage()), e);
            }
            MethodHandle safe = MethodHandles.catchException(target, Throwable.class,
                    MethodHandles.dropArguments(KEEP, 1, doubles));
            MemoryLayout[] layouts = new MemoryLayout[arity];
            java.util.Arrays.fill(layouts, ValueLayout.JAVA_DOUBLE);
            return LINKER.upcallStub(safe, FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, layouts), Arena.global());
        });
    }

    /**
     * The loaded class {@code internalName} as {@code classes} knows it (the notebook's class loader, which sees jars
     * added by {@code %maven}), else as the context class loader does.
     *
     * @throws BindingException if neither loads it
     */
    public static Class<?> ownerClass(ClassBytesSource classes, String internalName) {
        return classes.loadedClass(internalName).orElseGet(() -> {
            String name = internalName.replace('/', '.');
            try {
                return Class.forName(name, true, Thread.currentThread().getContextClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                throw new BindingException(Messages.RULE_JVM_METHOD_ACCESS.format(name, e.toString()), e);
            }
        });
    }

    /**
     * {@code handle} with this thread's pending failure forgotten before each call and raised after it: the JVM
     * method's own exception, or the Java exception of the compiled rule method's status block.
     */
    public static MethodHandle raisingAfter(MethodHandle handle, String symbol) {
        MethodHandle raise = MethodHandles.insertArguments(RAISE, 0, symbol);
        Class<?> result = handle.type().returnType();
        MethodHandle after = result == void.class ? raise : MethodHandles.foldArguments(
                MethodHandles.identity(result), MethodHandles.dropArguments(raise, 0, result));
        return MethodHandles.foldArguments(MethodHandles.filterReturnValue(handle, after), CLEAR);
    }

    private static double keep(Throwable thrown) {
        if (PENDING.get() == null) {
            PENDING.set(thrown);
        }
        return Double.NaN;
    }

    private static void ruleFailed(MemorySegment status) {
        if (PENDING.get() == null) {
            PENDING.set(status.reinterpret(4L * StatusCode.BLOCK_INTS).toArray(ValueLayout.JAVA_INT));
        }
    }

    private static void clear() {
        PENDING.remove();
    }

    private static void raisePending(String symbol) throws Throwable {
        Object pending = PENDING.get();
        if (pending == null) {
            return;
        }
        PENDING.remove();
        if (pending instanceof int[] status) {
            NativeStatus.check(status, symbol);
        } else {
            throw (Throwable) pending;
        }
    }
}
