package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The shadow of one array parameter in Enzyme's vector mode (forward tangents, reverse cotangents): {@code width}
 * lanes of {@code length} doubles in native memory, and the table of their addresses that the derivative's wrapper reads
 * ({@link #table()}). Java heap arrays cannot be lanes (their addresses move), hence native memory, owned by one
 * thread (callers keep one per thread) and freed by the GC with this object.
 *
 * <p>The table itself is a Java {@code long[]} passed as a heap segment, like every other array of a derivative's
 * call: a native segment among the arguments of a critical call made the JDK's shared downcall code see two kinds of
 * memory session, after which the heap segments of every later call through it were allocated, not scalar-replaced
 * (a reverse Jacobian after a forward one: 64 bytes a sweep, seen by JFR as {@code GlobalSession$HeapSession}).
 *
 * <p>Compiled code bounds-checks every access against the primal array's length, so lanes exactly that long keep
 * it inside this memory: {@link #ensure} must be called with the primal's length before each call.
 */
public final class LaneTable {

    private static final long DOUBLE = ValueLayout.JAVA_DOUBLE.byteSize();

    private final int width;
    private final long[] addresses;
    /** {@link #addresses} as a heap segment, made once: a call passes it without allocating. */
    private final MemorySegment table;
    private MemorySegment lanes = MemorySegment.NULL;
    private int length = -1;

    public LaneTable(int width) {
        this.width = width;
        this.addresses = new long[width];
        this.table = MemorySegment.ofArray(addresses);
    }

    /** Sizes every lane to {@code length} doubles (keeping the memory when it is long enough); returns the table. */
    public MemorySegment ensure(int length) {
        if (length != this.length) {
            lanes = Arena.ofAuto().allocate(Math.max(1, (long) width * length) * DOUBLE, DOUBLE);
            for (int lane = 0; lane < width; lane++) {
                addresses[lane] = lanes.address() + lane * (long) length * DOUBLE;
            }
            this.length = length;
        }
        return table;
    }

    public MemorySegment table() {
        return table;
    }

    public int width() {
        return width;
    }

    /** Zeroes every lane. */
    public void clear() {
        lanes.fill((byte) 0);
    }

    public void set(int lane, int index, double value) {
        lanes.setAtIndex(ValueLayout.JAVA_DOUBLE, lane * (long) length + index, value);
    }

    public double get(int lane, int index) {
        return lanes.getAtIndex(ValueLayout.JAVA_DOUBLE, lane * (long) length + index);
    }

    /** Lane {@code lane} := {@code values} (exactly {@link #ensure}'s length long). */
    public void copyIn(int lane, double[] values) {
        MemorySegment.copy(values, 0, lanes, ValueLayout.JAVA_DOUBLE, lane * (long) length * DOUBLE, length);
    }

    /** Every lane := {@code values[offset + lane * length ..]} (one bulk copy). */
    public void copyAllIn(double[] values, int offset) {
        MemorySegment.copy(values, offset, lanes, ValueLayout.JAVA_DOUBLE, 0, width * length);
    }

    /** {@code values[lane * length + i]} := lane {@code lane}'s element i, for every lane (one bulk copy). */
    public void copyAllOut(double[] values) {
        MemorySegment.copy(lanes, ValueLayout.JAVA_DOUBLE, 0, values, 0, width * length);
    }

    /** {@code values} := lane {@code lane}. */
    public void copyOut(int lane, double[] values) {
        MemorySegment.copy(lanes, ValueLayout.JAVA_DOUBLE, lane * (long) length * DOUBLE, values, 0, length);
    }
}
