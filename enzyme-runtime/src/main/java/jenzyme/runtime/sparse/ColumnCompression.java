package jenzyme.runtime.sparse;

import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.MethodRef;
import java.util.Set;

/**
 * How a Jacobian's forward sweeps are seeded for calls whose arguments match {@link #key}: compressed by its
 * {@link SparsityPattern} ({@code colours} lanes instead of n), or not at all ({@link #pattern} null) when the
 * pattern could not be traced or compression needs no fewer sweeps than the dense Jacobian.
 *
 * @param width      lanes per forward sweep
 * @param seeds      for sweep s, lane l and column j, {@code seeds[(s * width + l) * n + j]} = 1 when column j has
 *                   colour {@code s * width + l}: the lane tables' layout, copied in whole
 * @param entries    the pattern's entries by sweep, as {@link Entries}
 */
public record ColumnCompression(SparsityPattern.Key key, SparsityPattern pattern, int width, int sweeps,
                                double[] seeds, Entries entries) {

    /**
     * Where each entry of the Jacobian is read from, by sweep and row: for sweep s and row i, entries
     * {@code k = start[s * m + i] .. start[s * m + i + 1] - 1} are {@code J[i][column[k]]}, found at
     * {@code lanes[source[k]]} of the sweep's tangent lanes (lane l's y entry i at {@code l * m + i}). Flat arrays
     * grouped by row, so that each row is written while it is in cache (decompressing through the pattern's rows
     * and colours cost more than the hand-written Jacobian: 750 against 575 ns on the 20×20 Lorenz-96; one flat
     * list of (row, column, source) took 226 ns for its 80 entries, 2.8 ns an entry).
     */
    public record Entries(int[] column, int[] source, int[] start) {

        static Entries of(SparsityPattern pattern, int width, int sweeps) {
            int m = pattern.m();
            int count = pattern.nonZeros();
            int[] column = new int[count];
            int[] source = new int[count];
            int[] start = new int[sweeps * m + 1];
            int k = 0;
            for (int sweep = 0; sweep < sweeps; sweep++) {
                for (int i = 0; i < m; i++) {
                    start[sweep * m + i] = k;
                    for (int j : pattern.rows()[i]) {
                        int lane = pattern.colour()[j] - sweep * width;
                        if (lane >= 0 && lane < width) {
                            column[k] = j;
                            source[k++] = lane * m + i;
                        }
                    }
                }
            }
            start[sweeps * m] = k;
            return new Entries(column, source, start);
        }
    }

    /**
     * Traces the pattern for {@code arguments} (the method's, as written) and decides: compressed only when it takes
     * fewer sweeps than the dense way, {@code denseSweeps} (forward sweeps of {@code width} columns, or reverse
     * sweeps of a row each).
     */
    public static ColumnCompression decide(ClassBytesSource classes, Set<MethodRef> ruled, EntryPoint entry,
                                           Object[] arguments, int input, int output, int m, int width,
                                           int denseSweeps) {
        SparsityPattern.Key key = SparsityPattern.Key.of(arguments, m);
        if (!SparsityPattern.distinctArrays(arguments)) {
            return new ColumnCompression(key, null, width, 0, null, null);
        }
        SparsityPattern pattern = DependencyTracer.trace(classes, ruled, entry.ownerInternalName(), entry.methodName(),
                entry.descriptor(), arguments, input, entry.returnsArray() ? -1 : output, m).orElse(null);
        int sweeps = pattern == null ? 0 : (pattern.colours() + width - 1) / width;
        if (pattern == null || sweeps >= denseSweeps) {
            return new ColumnCompression(key, null, width, 0, null, null);
        }
        return laidOut(key, pattern, width);
    }

    /**
     * The same compression in sweeps of {@code width} lanes: with {@code width} = colours one sweep has no idle
     * lanes (an idle lane costs as much as a busy one: Lorenz-96 20×20 has 4 colours, and its compressed Jacobian
     * took 537 ns in 8 lanes against 450 ns in 4).
     */
    public ColumnCompression atWidth(int width) {
        return pattern == null || width == this.width ? this : laidOut(key, pattern, width);
    }

    private static ColumnCompression laidOut(SparsityPattern.Key key, SparsityPattern pattern, int width) {
        int sweeps = (pattern.colours() + width - 1) / width;
        int n = pattern.n();
        double[] seeds = new double[sweeps * width * n];
        for (int j = 0; j < n; j++) {
            seeds[pattern.colour()[j] * n + j] = 1;
        }
        return new ColumnCompression(key, pattern, width, sweeps, seeds, Entries.of(pattern, width, sweeps));
    }

    /** Whether this decision holds for a call with {@code arguments} and m outputs (allocation-free). */
    public boolean holdsFor(Object[] arguments, int m) {
        return key.matches(arguments, m);
    }
}
