package jenzyme.runtime.jit;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.JitException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.LlvmModules;
import org.bytedeco.llvm.LLVM.LLVMOrcResourceTrackerRef;

/**
 * Compiled code of one module in an {@link OrcJit}: the addresses of the functions and globals it exports, under
 * the names they had in the module. Handles made by {@link #guard} count the calls inside the code; closing the
 * module refuses new calls at once (a clear "released" error) but frees the code only when the last call in flight
 * has returned — before, re-deriving a binding that another thread was calling freed code under it (SIGSEGV).
 *
 * <p>Counting: a call counts itself ({@link InFlightCalls}) and then reads {@code live}; {@link #close} writes
 * {@code live} and then checks the count. Both are sequentially consistent (volatile), so either the call sees the
 * module closed and backs out, or the close sees the call and leaves the release to it. Measured cost per call: see
 * ./bench.
 */
public final class JitModule implements AutoCloseable {

    private final OrcJit jit;
    private final String name;
    private final LLVMOrcResourceTrackerRef tracker;
    private final Map<String, Long> addresses;
    private final byte[] compiledBitcode;
    private final String symbolSuffix;
    private volatile boolean live = true;
    private final InFlightCalls inFlight = new InFlightCalls();
    private boolean released;
    private final java.util.List<AutoCloseable> dependents = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final CompletableFuture<Boolean> fullCode = new CompletableFuture<>();
    private final Object fullTierLock = new Object();
    private boolean trackerReleased; // guarded by fullTierLock

    private static final MethodHandle ENTER;
    private static final MethodHandle EXIT;

    static {
        try {
            var lookup = MethodHandles.lookup();
            ENTER = lookup.findVirtual(JitModule.class, "enter", MethodType.methodType(void.class));
            EXIT = lookup.findVirtual(JitModule.class, "exit", MethodType.methodType(void.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * @param compiledBitcode the module as compiled (after the JIT's own optimisation, if it ran one)
     * @param symbolSuffix    what the JIT appended to its exported names (see {@link OrcJit}), removed from the text
     * @param fullyCompiled   whether its code is final already, or quick code until the full tier is ready
     */
    JitModule(OrcJit jit, String name, LLVMOrcResourceTrackerRef tracker, Map<String, Long> addresses,
              byte[] compiledBitcode, String symbolSuffix, boolean fullyCompiled) {
        this.jit = jit;
        this.name = name;
        this.tracker = tracker;
        this.addresses = Map.copyOf(addresses);
        this.compiledBitcode = compiledBitcode;
        this.symbolSuffix = symbolSuffix;
        if (fullyCompiled) {
            fullCode.complete(true);
        }
    }

    /**
     * Completes with {@code true} once every call runs the module's fully optimised code (at once unless its JIT
     * compiles {@linkplain OrcJit#createQuickFirst quick first}), or {@code false} if the full tier was not compiled
     * (the module or the JIT was closed first, or code generation failed): calls then keep the quick code. Timings
     * of the module's speed wait for it, as {@code ./bench} does.
     */
    public CompletableFuture<Boolean> fullCode() {
        return fullCode.copy();
    }

    /** Held while the full tier is compiled into this module's tracker, and to mark the tracker released. */
    Object fullTierLock() {
        return fullTierLock;
    }

    /** Whether {@link OrcJit#release} has begun freeing this module's code (read under {@link #fullTierLock()}). */
    boolean trackerReleased() {
        return trackerReleased;
    }

    void markTrackerReleased() {
        synchronized (fullTierLock) {
            trackerReleased = true;
        }
    }

    void fullCodeReady() {
        fullCode.complete(true);
    }

    void fullCodeSkipped() {
        fullCode.complete(false);
    }

    /** The module as compiled (after the JIT's own optimisation, if it ran one) as IR text, printed on each call. */
    public String compiledIr() {
        return LlvmModules.irTextOf(compiledBitcode, name).replace(symbolSuffix, "");
    }

    public String name() {
        return name;
    }

    /** Names of the functions and globals the module defines with external linkage. */
    public Set<String> exportedSymbols() {
        return addresses.keySet();
    }

    /** Address of an exported symbol as a zero-length segment, ready for {@code Linker.downcallHandle}. */
    public MemorySegment address(String symbol) {
        if (!live) {
            throw new JitException(Messages.MODULE_RELEASED.format(name), name, symbol, null, null);
        }
        Long address = addresses.get(symbol);
        if (address == null) {
            throw new JitException(Messages.NO_SUCH_SYMBOL.format(addresses.keySet(), name, symbol), name, symbol, null, null);
        }
        return MemorySegment.ofAddress(address);
    }

    public boolean isLive() {
        return live;
    }

    /**
     * {@code handle}, a call into this module's code, counted while it runs: after {@link #close} it raises
     * {@link BindingException} instead of calling, and the code stays until every call already inside returns.
     */
    public MethodHandle guard(MethodHandle handle) {
        Class<?> result = handle.type().returnType();
        MethodHandle cleanup = result == void.class
                ? MethodHandles.empty(MethodType.methodType(void.class, Throwable.class))
                : MethodHandles.dropArguments(MethodHandles.identity(result), 0, Throwable.class);
        cleanup = MethodHandles.foldArguments(cleanup, EXIT.bindTo(this));
        return MethodHandles.foldArguments(MethodHandles.tryFinally(handle, cleanup), ENTER.bindTo(this));
    }

    private void enter() {
        inFlight.enter();
        if (!live) {
            exit();
            throw new BindingException(Messages.MODULE_CODE_RELEASED.format(name), name, null);
        }
    }

    private void exit() {
        inFlight.exit();
        if (!live) {
            releaseIfIdle();
        }
    }

    /** Frees the code once closed and no call is inside. Idempotent. */
    private void releaseIfIdle() {
        synchronized (this) {
            if (released || !inFlight.idle()) {
                return;
            }
            released = true;
        }
        jit.release(this, tracker); // outside this lock: OrcJit.close holds the JIT's lock and closes modules
    }

    /** Refuses new calls and frees the module's code and data, at once or when the last call in flight returns. */
    @Override
    public void close() {
        if (live) {
            live = false;
            releaseIfIdle();
            dependents.forEach(JitModule::closeQuietly);
        }
    }

    /** Closes {@code dependent} with this module (a binding's code compiled later, per lambda it was called with). */
    public void closeWith(AutoCloseable dependent) {
        dependents.add(dependent);
        if (!live) {
            closeQuietly(dependent);
        }
    }

    private static void closeQuietly(AutoCloseable dependent) {
        try {
            dependent.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "JitModule[" + name + (live ? "" : ", released") + ", " + addresses.keySet() + "]";
    }
}
