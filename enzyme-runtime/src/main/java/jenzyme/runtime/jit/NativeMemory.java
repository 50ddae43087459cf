package jenzyme.runtime.jit;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Map;
import jenzyme.runtime.error.Messages;

/**
 * The process-wide state of the checked allocator ({@link AllocationGuards}): the pthread key under which each
 * thread's innermost guarded call is found, the budget of native memory all compiled calls together may hold, and
 * the bytes they hold now. The budget comes from {@code -Djenzyme.nativeMemory} or {@code JENZYME_NATIVE_MEMORY}
 * (bytes, or with a k/m/g suffix); by default three quarters of physical memory, so that a reverse pass whose tape
 * would exhaust the machine raises OutOfMemoryError instead of waking the kernel's out-of-memory killer (Linux
 * overcommits: malloc rarely fails, touching the pages kills the process).
 */
public final class NativeMemory {

    static final String KEY_SYMBOL = "jenzyme.alloc_key";
    static final String BUDGET_SYMBOL = "jenzyme.native_budget";
    static final String IN_USE_SYMBOL = "jenzyme.native_in_use";
    static final String DEFERRED_SYMBOL = "jenzyme.native_deferred";
    /** Offsets in a block's header (checked-allocation.ll): the next block, the block's size. */
    private static final long NEXT = 0;
    private static final long SIZE = 16;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final MemorySegment KEY = Arena.global().allocate(ValueLayout.JAVA_INT);
    private static final MemorySegment BUDGET = Arena.global().allocate(ValueLayout.JAVA_LONG);
    private static final MemorySegment IN_USE = Arena.global().allocate(ValueLayout.JAVA_LONG);
    private static final MemorySegment DEFERRED = Arena.global().allocate(ValueLayout.JAVA_LONG);
    private static final MethodHandle FREE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));

    static {
        createKey();
        BUDGET.set(ValueLayout.JAVA_LONG, 0, configuredBudget());
    }

    private NativeMemory() {}

    /** Bytes compiled calls may hold at once, together. */
    public static long budget() {
        return (long) LONG.getVolatile(BUDGET, 0L);
    }

    /** Sets the budget of {@link #budget()} for calls that start from now on. */
    public static void setBudget(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException(Messages.BUDGET_NOT_POSITIVE.format(bytes));
        }
        LONG.setVolatile(BUDGET, 0L, bytes);
    }

    /**
     * Bytes compiled calls hold now: 0 when none runs, since a failed call's blocks are freed before it returns or,
     * if large, by {@link #releaseDeferred()}'s thread, which this waits for.
     */
    public static long inUse() {
        freeDeferred();
        return (long) LONG.getVolatile(IN_USE, 0L);
    }

    /**
     * Frees, on a thread of its own, the large blocks that calls which failed or were interrupted left to
     * checked-allocation.ll's deferred list, so that the interrupted call returns at once (unmapping a GB-sized tape
     * takes most of a second here). The bindings call it after such a failure; {@link #inUse()} counts the blocks until
     * they are freed.
     */
    public static void releaseDeferred() {
        if ((long) LONG.getVolatile(DEFERRED, 0L) != 0) {
            Thread.ofPlatform().daemon().name("jenzyme-native-release").start(NativeMemory::freeDeferred);
        }
    }

    /** Frees the deferred blocks on this thread, after any other thread doing so (the list is taken whole). */
    static synchronized void freeDeferred() {
        long header = (long) LONG.getAndSet(DEFERRED, 0L, 0L);
        while (header != 0) {
            MemorySegment block = MemorySegment.ofAddress(header).reinterpret(SIZE + Long.BYTES);
            long next = block.get(ValueLayout.JAVA_LONG, NEXT);
            long size = block.get(ValueLayout.JAVA_LONG, SIZE);
            try {
                FREE.invokeExact(header);
            } catch (Throwable impossible) {
                throw new IllegalStateException(impossible);
            }
            LONG.getAndAdd(IN_USE, 0L, -size);
            header = next;
        }
    }

    /** The data symbols checked-allocation.ll refers to, for the JIT to define. */
    static Map<String, MemorySegment> symbols() {
        return Map.of(KEY_SYMBOL, KEY, BUDGET_SYMBOL, BUDGET, IN_USE_SYMBOL, IN_USE, DEFERRED_SYMBOL, DEFERRED);
    }

    /** Parses {@code 123}, {@code 512m}, {@code 4g} (binary units). */
    static long parseBytes(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        int shift = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        try {
            long value = Long.parseLong(digits);
            if (value <= 0 || value > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException(Messages.BUDGET_OUT_OF_RANGE.format());
            }
            return value << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(Messages.BUDGET_SYNTAX.format(text));
        }
    }

    private static long configuredBudget() {
        String configured = System.getProperty("jenzyme.nativeMemory", System.getenv("JENZYME_NATIVE_MEMORY"));
        if (configured != null && !configured.isBlank()) {
            return parseBytes(configured);
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return os.getTotalMemorySize() / 4 * 3;
    }

    private static void createKey() {
        Linker linker = Linker.nativeLinker();
        var create = linker.downcallHandle(linker.defaultLookup().find("pthread_key_create").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try {
            int error = (int) create.invokeExact(KEY, MemorySegment.NULL);
            if (error != 0) {
                throw new IllegalStateException(Messages.PTHREAD_KEY_ERROR.format(error));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(Messages.PTHREAD_KEY_FAILED.format(), t);
        }
    }
}
