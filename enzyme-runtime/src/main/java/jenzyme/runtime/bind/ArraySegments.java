package jenzyme.runtime.bind;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;

/**
 * The heap segments a derivative binding passes its arrays as, kept per thread and per argument position: a call
 * passing the same array as the thread's previous call at that position passes the segment made then, so the
 * binding makes no {@code MemorySegment} (nor its memory session) per call and allocates nothing, whatever the JIT
 * makes of the JDK's segment code. Before, each call made a fresh segment per array and relied on C2's escape
 * analysis to remove it: in a JVM that had run the enzyme-runtime suite's other test classes, the first Jacobian's
 * sweeps kept one {@code GlobalSession$HeapSession} each (32 B per call in 5 of 6 runs; LogCompilation showed the
 * other sessions of the same compile scalar-replaced, and a product JVM does not log why).
 *
 * <p>A segment is a view of its array and keeps it reachable, so a cached one is always the array's own, on any
 * thread, nested calls included (a call back into the JVM that calls the binding again replaces the slots only
 * after the outer call has taken its segments). The cost: each thread keeps the latest arrays of each binding it
 * called reachable until its next call; arrays over {@value #CACHED_BYTES} bytes are not kept (their segment is made
 * per call: against a call over that much data its allocation is noise), which bounds that to
 * {@value #CACHED_BYTES} bytes per array parameter, per thread and binding.
 */
final class ArraySegments {

    /** Arrays larger than this get a segment per call and are never kept by a thread's slots. */
    static final long CACHED_BYTES = 64 * 1024;

    private static final MethodHandle SEGMENT;
    private static final MethodHandle SLOTS;
    /** Fills unused slots: no argument is this object, so a null array never matches one and raises as before. */
    private static final Object NONE = new Object();
    /** The array types compiled code takes (see {@link #ofArray}). */
    private static final Set<Class<?>> TYPES = Set.of(double[].class, float[].class, long[].class, int[].class);

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SEGMENT = lookup.findStatic(ArraySegments.class, "segment",
                    MethodType.methodType(MemorySegment.class, Slots.class, int.class, Object.class));
            SLOTS = lookup.findVirtual(ThreadLocal.class, "get", MethodType.methodType(Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One thread's latest array and its segment at each cached position of one binding. */
    static final class Slots {
        private final Object[] arrays;
        private final MemorySegment[] segments;

        private Slots(int count) {
            arrays = new Object[count];
            Arrays.fill(arrays, NONE);
            segments = new MemorySegment[count];
        }
    }

    private final ThreadLocal<Slots> slots;

    /** @param count the binding's array positions, each with a slot ({@link #segmentOf}) */
    ArraySegments(int count) {
        slots = ThreadLocal.withInitial(() -> new Slots(count));
    }

    /**
     * {@code (Slots, A array) → MemorySegment} for the array parameter of type {@code arrayType} that has slot
     * {@code position}.
     */
    static MethodHandle segmentOf(int position, Class<?> arrayType) {
        if (!TYPES.contains(arrayType)) {
            throw new BindingException(Messages.NO_HEAP_SEGMENT.format(arrayType.getName()));
        }
        return MethodHandles.insertArguments(SEGMENT, 1, position)
                .asType(MethodType.methodType(MemorySegment.class, Slots.class, arrayType));
    }

    /**
     * {@code raw} taking {@code sources}: native argument i is {@code filters[i]} of source {@code reorder[i]} (or
     * that source itself, for a null filter); a filter taking {@code Slots} first is an array's segment
     * ({@link #segmentOf}, or a handle of its result), its first argument this thread's slots, looked up once per
     * call.
     */
    MethodHandle fed(MethodHandle raw, MethodHandle[] filters, int[] reorder, MethodType sources) {
        MethodHandle handle = raw;
        List<Integer> order = new ArrayList<>();
        for (int i = filters.length - 1; i >= 0; i--) { // from the last, so the positions before stay put
            if (filters[i] != null && filters[i].type().parameterType(0) == Slots.class) {
                handle = MethodHandles.collectArguments(handle, i, filters[i]);
                order.addFirst(reorder[i] + 1);
                order.addFirst(0); // the slots
            } else {
                handle = filters[i] == null ? handle : MethodHandles.filterArguments(handle, i, filters[i]);
                order.addFirst(reorder[i] + 1);
            }
        }
        MethodType withSlots = sources.insertParameterTypes(0, Slots.class);
        handle = MethodHandles.permuteArguments(handle, withSlots, order.stream().mapToInt(Integer::intValue)
                .toArray());
        MethodHandle current = SLOTS.bindTo(slots).asType(MethodType.methodType(Slots.class));
        return MethodHandles.foldArguments(handle, 0, current);
    }

    private static MemorySegment segment(Slots slots, int position, Object array) {
        if (slots.arrays[position] == array) {
            return slots.segments[position];
        }
        MemorySegment segment = ofArray(array);
        if (segment.byteSize() <= CACHED_BYTES) {
            slots.arrays[position] = array;
            slots.segments[position] = segment;
        }
        return segment;
    }

    /**
     * {@code MemorySegment.ofArray} of one of {@link #TYPES} (the handle's type admits no other); null raises its
     * NullPointerException, as the segment made per call did.
     */
    private static MemorySegment ofArray(Object array) {
        return switch (array) {
            case double[] a -> MemorySegment.ofArray(a);
            case int[] a -> MemorySegment.ofArray(a);
            case long[] a -> MemorySegment.ofArray(a);
            case null, default -> MemorySegment.ofArray((float[]) array);
        };
    }
}
