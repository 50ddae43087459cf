package jenzyme.runtime.bind;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.lower.StatusCode;

/**
 * Chooses, per call, between the two FFM downcalls of one native function. A critical downcall passes Java arrays
 * zero-copy (~2 ns) but holds off every safepoint while it runs: a long call then stalls GC and with it every thread
 * that allocates — the heartbeat, the interrupt handler — and a compiled endless loop froze the kernel for good
 * (measured: no reply to two interrupts in 65 s). An ordinary downcall lets safepoints happen, but native code cannot
 * see the Java heap, so arrays are copied to native memory and back ({@link CallScratch}).
 *
 * <p>The route is ordinary until the binding has shown itself short: a call on the ordinary route whose native code
 * runs within {@link #SHORT_NANOS} plus 1 ns per byte of array data (work in proportion to the data; a safepoint then
 * waits about as long as copying would cost) lets later calls carrying up to twice its array bytes go critical.
 * Measured on ./bench --quick (2 loaded cores): without the per-byte allowance Rosenbrock 10^6 and LogReg 10^4x32
 * copied on every call, +40% and +30%. Calls carrying no
 * array data (scalars, the status block) always go the ordinary way: they gain nothing from zero-copy and are the
 * ones whose length no argument size bounds (a loop count). Integer arguments bound a call too: a call goes critical
 * only if its largest integer argument is at most twice the largest of the calls measured short (loop counts are
 * integers: a binding shown short with {@code n = 1} that gets {@code n = 10^10} with the same arrays is copied, and
 * GC proceeds). Negative integers count as huge ({@code i != n} with n = -1 runs for ever). What stays open: a loop
 * bounded by a floating-point argument or by data inside the arrays.
 */
final class CallRoute {

    /** Calls on the ordinary route this short (plus 1 ns per array byte) promote the binding to critical calls. */
    static final long SHORT_NANOS = 1_000_000;
    /**
     * Below this many heap bytes (status block, output slots) a call carries no array data worth not copying: the
     * status block and 156 bytes (256 when the block had 100).
     */
    static final long ARRAY_DATA_BYTES = 4L * StatusCode.BLOCK_INTS + 156;

    private static final Linker LINKER = Linker.nativeLinker();
    /** Marks the signatures of heap-only bindings ({@link #heapOnly}); meaningless as the size of an argument. */
    private static final MemoryLayout HEAP_ONLY = MemoryLayout.sequenceLayout(0x4A5A_4845L, ValueLayout.JAVA_BYTE);
    private static final MethodHandle HEAP_BYTES;
    private static final MethodHandle LARGEST_INTEGER;
    private static final MethodHandle USE_CRITICAL;
    private static final MethodHandle BEGIN;
    private static final MethodHandle NATIVE_CODE_STARTS;
    private static final MethodHandle COPY_IN;
    private static final MethodHandle END;
    private static final MethodHandle UNSIGNED_INT;

    static {
        try {
            var lookup = MethodHandles.lookup();
            HEAP_BYTES = lookup.findStatic(CallRoute.class, "addHeapBytes",
                    MethodType.methodType(long.class, long.class, MemorySegment.class));
            LARGEST_INTEGER = lookup.findStatic(CallRoute.class, "larger",
                    MethodType.methodType(long.class, long.class, long.class));
            USE_CRITICAL = lookup.findVirtual(CallRoute.class, "useCritical",
                    MethodType.methodType(boolean.class, long.class, long.class));
            BEGIN = lookup.findStatic(CallScratch.class, "begin", MethodType.methodType(void.class));
            NATIVE_CODE_STARTS = lookup.findStatic(CallScratch.class, "nativeCodeStarts",
                    MethodType.methodType(void.class));
            COPY_IN = lookup.findStatic(CallScratch.class, "copyIn",
                    MethodType.methodType(MemorySegment.class, MemorySegment.class));
            END = lookup.findVirtual(CallRoute.class, "end", MethodType.methodType(void.class));
            UNSIGNED_INT = lookup.findStatic(CallRoute.class, "unsignedInt",
                    MethodType.methodType(long.class, int.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private MethodHandle test;
    private MethodHandle critical;
    private MethodHandle copying;
    /** Calls go through it: its target is replaced by a fresh guard when the binding is promoted ({@link #routed}). */
    private MutableCallSite site;

    /** Largest array bytes of a call measured short on the ordinary route; -1 until one was. */
    private volatile long shortBytes = -1;
    /** Largest integer argument of a call measured short on the ordinary route. */
    private volatile long shortIntegers;

    private CallRoute() {}

    /**
     * A handle of {@code descriptor}'s type that takes heap or native segments and routes each call; code that calls
     * back into the JVM ({@code callsBack}) always goes the ordinary way, since FFM forbids upcalls from critical calls.
     *
     * @param heapOnly whether every segment the binding's callers pass is a heap segment of a Java array (never
     *                 native memory: no row tables, no {@code MemorySegment.NULL}); see {@link #heapOnly}
     */
    static MethodHandle bind(MemorySegment function, FunctionDescriptor descriptor, boolean callsBack,
                             boolean heapOnly) {
        MethodHandle ordinary = LINKER.downcallHandle(function, descriptor);
        MethodType type = ordinary.type();
        List<Integer> segments = new ArrayList<>();
        List<Integer> integers = new ArrayList<>();
        for (int i = 0; i < type.parameterCount(); i++) {
            if (type.parameterType(i) == MemorySegment.class) {
                segments.add(i);
            } else if (type.parameterType(i) == int.class || type.parameterType(i) == long.class) {
                integers.add(i);
            }
        }
        if (segments.isEmpty()) {
            return ordinary; // nothing to copy, nothing to gain from a critical call
        }
        CallRoute route = new CallRoute();
        if (callsBack) {
            return route.copying(ordinary, segments);
        }
        MethodHandle critical = LINKER.downcallHandle(function, heapOnly ? heapOnly(descriptor) : descriptor,
                Linker.Option.critical(true));
        route.test = route.test(type, segments, integers);
        route.critical = critical;
        route.copying = route.copying(ordinary, segments);
        route.site = new MutableCallSite(route.routed());
        return route.site.dynamicInvoker();
    }

    /**
     * {@code descriptor} with its first address parameter marked by a target layout (meaningless for an argument,
     * but part of the key under which the JDK shares one generated downcall class, and its JIT profile, among all
     * critical handles of a C signature): heap-only bindings share a class no code passing native memory reaches.
     * Measured: once other code of a Jacobian sweep's signature had passed native segments of one arena through the
     * shared class (a plain critical downcall, or a binding with row tables as JaggedRows makes them), the JIT no
     * longer scalar-replaced the memory sessions of the sweep's heap segments: 32 bytes
     * ({@code GlobalSession$HeapSession}) per sweep, in the JVM of the whole test suite and in JacobianAllocationTest's
     * reproduction of it; 0 with the mark. A class of its own per binding did as well but cost ~10 ms per binding
     * (load 12), against ~0.5 ms for a cached one.
     */
    private static FunctionDescriptor heapOnly(FunctionDescriptor descriptor) {
        MemoryLayout[] arguments = descriptor.argumentLayouts().toArray(MemoryLayout[]::new);
        for (int i = 0; i < arguments.length; i++) {
            if (arguments[i] instanceof AddressLayout address) {
                arguments[i] = address.withTargetLayout(HEAP_ONLY);
                FunctionDescriptor marked = FunctionDescriptor.ofVoid(arguments);
                return descriptor.returnLayout().map(marked::changeReturnLayout).orElse(marked);
            }
        }
        return descriptor;
    }

    /**
     * The test choosing each call's route, as a new guard: its branch profile starts empty. A binding's first calls
     * take the copying route, to which the heap segments the binders make escape; once the binding is promoted its
     * calls are routed by a fresh guard that has seen only critical calls, so the JIT compiles the copying route as
     * a deoptimisation and removes the segments (without it every binding compiled after the first in a JVM
     * allocated them: 288 bytes per forward sweep of a 20x20 Jacobian, 432 per reverse sweep).
     */
    private MethodHandle routed() {
        return MethodHandles.guardWithTest(test, critical, copying);
    }

    /**
     * (args...) → whether this call goes critical, from the bytes of its heap segments and its largest integer
     * argument (integers widened to long: a negative int counts as its unsigned value, a negative long as huge).
     */
    private MethodHandle test(MethodType type, List<Integer> segments, List<Integer> integers) {
        MethodHandle bytes = folded(HEAP_BYTES, MemorySegment.class, segments.size());
        MethodHandle largest = folded(LARGEST_INTEGER, long.class, integers.size());
        MethodHandle decide = MethodHandles.collectArguments(
                MethodHandles.collectArguments(USE_CRITICAL.bindTo(this), 1, largest), 0, bytes);
        for (int i = 0; i < integers.size(); i++) {
            int parameter = segments.size() + i;
            if (type.parameterType(integers.get(i)) == int.class) {
                decide = MethodHandles.filterArguments(decide, parameter, UNSIGNED_INT);
            }
        }
        int[] order = java.util.stream.Stream.concat(segments.stream(), integers.stream())
                .mapToInt(Integer::intValue).toArray();
        return MethodHandles.permuteArguments(decide, type.changeReturnType(boolean.class), order);
    }

    /**
     * {@code ordinary} with heap segments copied to native memory before and back after; the native code alone is
     * timed, since that is what a critical call would hold safepoints for. (Timing the copies too kept large arrays
     * copying for good whenever the first call met a loaded machine: qa measured sumsq over 1.6·10^7 doubles 7–9×
     * slower than HotSpot in %jit, at load 15.)
     */
    private MethodHandle copying(MethodHandle ordinary, List<Integer> segments) {
        MethodHandle handle = MethodHandles.foldArguments(ordinary, NATIVE_CODE_STARTS);
        for (int index : segments) {
            handle = MethodHandles.filterArguments(handle, index, COPY_IN);
        }
        Class<?> result = handle.type().returnType();
        MethodHandle cleanup = result == void.class
                ? MethodHandles.empty(MethodType.methodType(void.class, Throwable.class))
                : MethodHandles.dropArguments(MethodHandles.identity(result), 0, Throwable.class);
        cleanup = MethodHandles.foldArguments(cleanup, END.bindTo(this));
        return MethodHandles.foldArguments(MethodHandles.tryFinally(handle, cleanup), BEGIN);
    }

    /**
     * {@code (T a1, ..., T ak) → long}: {@code step(...step(step(0, a1), a2)..., ak)}, without collecting the
     * arguments into an array (which cost an allocation per call: the collectors were 2 of the ~450 bytes a batched
     * sweep allocated).
     */
    private static MethodHandle folded(MethodHandle step, Class<?> argument, int count) {
        List<Class<?>> types = java.util.Collections.nCopies(count, argument);
        MethodHandle total = MethodHandles.dropArguments(MethodHandles.constant(long.class, 0L), 0, types);
        for (int i = 0; i < count; i++) {
            MethodHandle next = MethodHandles.collectArguments(step, 0, total); // (a1..ak, T) → long
            int[] reorder = new int[count + 1];
            for (int j = 0; j < count; j++) {
                reorder[j] = j;
            }
            reorder[count] = i;
            total = MethodHandles.permuteArguments(next, MethodType.methodType(long.class, types), reorder);
        }
        return total;
    }

    private static long addHeapBytes(long total, MemorySegment segment) {
        return segment.isNative() ? total : total + segment.byteSize();
    }

    private static long larger(long largest, long value) {
        return Math.max(largest, value < 0 ? Long.MAX_VALUE : value);
    }

    private static long unsignedInt(int value) {
        return Integer.toUnsignedLong(value);
    }

    private boolean useCritical(long bytes, long integers) {
        long known = shortBytes;
        boolean critical = bytes >= ARRAY_DATA_BYTES && known >= 0 && bytes <= 2 * known
                && integers - shortIntegers <= shortIntegers; // at most twice, without overflow
        if (!critical) {
            CallScratch.noteIntegers(integers);
        }
        return critical;
    }

    /** Copies back; a short call promotes calls of up to twice its size to the critical route. */
    private void end() {
        CallScratch.Finished call = CallScratch.end();
        boolean isShort = call.nanos() < SHORT_NANOS + call.heapBytes();
        if (isShort && call.heapBytes() >= ARRAY_DATA_BYTES) {
            boolean promoted = shortBytes < 0;
            shortBytes = Math.max(shortBytes, call.heapBytes());
            shortIntegers = Math.max(shortIntegers, call.integers());
            if (promoted && site != null) {
                site.setTarget(routed());
            }
        }
    }
}
