package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.IdentityHashMap;
import java.util.Map;
import jenzyme.runtime.error.Messages;

/**
 * How a two-dimensional (jagged) array argument crosses into native code: as a row table (one native pointer per
 * row), a row-length table and the row count ({@code jenzyme.runtime.lower.JavaType#DOUBLE_MATRIX}), built per call
 * on the calling thread and released when the call ends.
 *
 * <p>Why rows are copied: a one-dimensional array passes as a heap segment, which FFM pins (critical call) or copies
 * ({@link CallScratch}) only as a direct argument, and only for the call; a row table must hold addresses, and no
 * heap array has an address that stays valid outside that window. So each row is copied into native memory of the
 * call's arena, and copied back when the call ends (also after a failure: Java keeps the writes made before an
 * exception). The same row array met twice — in one table or in two, a primal and its shadow aside — gets one copy,
 * so rows shared on the JVM stay shared natively. The cost is a copy per element, like the copying call route of
 * one-dimensional arrays.
 *
 * <p>Native code never calls back into Java, so a thread runs one such call at a time: the state is per thread,
 * opened by the first table of a call and closed by {@link #end()}, which every binding runs in a finally.
 */
final class JaggedRows {

    private static final ThreadLocal<JaggedRows> CURRENT = ThreadLocal.withInitial(JaggedRows::new);
    static final MethodHandle ROWS;
    static final MethodHandle LENGTHS;
    static final MethodHandle END;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ROWS = lookup.findStatic(JaggedRows.class, "rows",
                    MethodType.methodType(MemorySegment.class, Object.class, String.class, String.class));
            LENGTHS = lookup.findStatic(JaggedRows.class, "lengths",
                    MethodType.methodType(MemorySegment.class, Object.class, String.class, String.class));
            END = lookup.findStatic(JaggedRows.class, "end", MethodType.methodType(void.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private record Tables(MemorySegment rows, MemorySegment lengths) {}

    private record RowCopy(Object row, MemorySegment copy, ValueLayout element) {}

    private Arena arena;
    private final Map<Object, Tables> tables = new IdentityHashMap<>();
    private final Map<Object, RowCopy> rows = new IdentityHashMap<>();

    private JaggedRows() {}

    /**
     * {@code (T[][] matrix) → MemorySegment}: its row table for this call.
     *
     * @param name      the argument's name, for a null row's message
     * @param ifNull    the message of the NullPointerException raised when the array itself is null
     */
    static MethodHandle rowsOf(Class<?> matrixType, String name, String ifNull) {
        return MethodHandles.insertArguments(ROWS, 1, name, ifNull).asType(MethodType.methodType(
                MemorySegment.class, matrixType));
    }

    /** {@code (T[][] matrix) → MemorySegment}: its row-length table for this call (see {@link #rowsOf}). */
    static MethodHandle lengthsOf(Class<?> matrixType, String name, String ifNull) {
        return MethodHandles.insertArguments(LENGTHS, 1, name, ifNull).asType(MethodType.methodType(
                MemorySegment.class, matrixType));
    }

    /** {@code handle} followed, also when it throws, by {@link #end()}. */
    static MethodHandle endingAfter(MethodHandle handle) {
        Class<?> result = handle.type().returnType();
        MethodHandle cleanup = result == void.class
                ? MethodHandles.empty(MethodType.methodType(void.class, Throwable.class))
                : MethodHandles.dropArguments(MethodHandles.identity(result), 0, Throwable.class);
        cleanup = MethodHandles.foldArguments(cleanup, END);
        return MethodHandles.tryFinally(handle, cleanup);
    }

    static MemorySegment rows(Object matrix, String name, String ifNull) {
        return CURRENT.get().tablesOf(matrix, name, ifNull).rows();
    }

    static MemorySegment lengths(Object matrix, String name, String ifNull) {
        return CURRENT.get().tablesOf(matrix, name, ifNull).lengths();
    }

    /** Copies every row back into its Java array and frees this call's native memory. */
    static void end() {
        JaggedRows state = CURRENT.get();
        if (state.arena == null) {
            return;
        }
        try {
            for (RowCopy copy : state.rows.values()) {
                MemorySegment.copy(copy.copy(), copy.element(), 0, copy.row(), 0, Array.getLength(copy.row()));
            }
        } finally {
            state.rows.clear();
            state.tables.clear();
            state.arena.close();
            state.arena = null;
        }
    }

    private Tables tablesOf(Object matrix, String name, String ifNull) {
        if (matrix == null) {
            throw new NullPointerException(ifNull);
        }
        Tables known = tables.get(matrix);
        if (known != null) {
            return known;
        }
        if (arena == null) {
            arena = Arena.ofConfined();
        }
        int count = Array.getLength(matrix);
        MemorySegment rowTable = arena.allocate(ValueLayout.ADDRESS, Math.max(1, count));
        MemorySegment lengthTable = arena.allocate(ValueLayout.JAVA_INT, Math.max(1, count));
        for (int i = 0; i < count; i++) {
            Object row = Array.get(matrix, i);
            if (row == null) {
                throw new NullPointerException(Messages.NULL_ROW.format(name, i));
            }
            rowTable.setAtIndex(ValueLayout.ADDRESS, i, copyOf(row));
            lengthTable.setAtIndex(ValueLayout.JAVA_INT, i, Array.getLength(row));
        }
        Tables made = new Tables(rowTable, lengthTable);
        tables.put(matrix, made);
        return made;
    }

    private MemorySegment copyOf(Object row) {
        return rows.computeIfAbsent(row, r -> {
            ValueLayout element = elementLayout(r.getClass().getComponentType());
            int length = Array.getLength(r);
            MemorySegment copy = arena.allocate(element, Math.max(1, length));
            MemorySegment.copy(r, 0, copy, element, 0, length);
            return new RowCopy(r, copy, element);
        }).copy();
    }

    private static ValueLayout elementLayout(Class<?> component) {
        if (component == double.class) return ValueLayout.JAVA_DOUBLE;
        if (component == float.class) return ValueLayout.JAVA_FLOAT;
        if (component == int.class) return ValueLayout.JAVA_INT;
        if (component == long.class) return ValueLayout.JAVA_LONG;
        throw new IllegalArgumentException(Messages.NOT_AN_ARRAY_TYPE.format(component.getName()));
    }
}
