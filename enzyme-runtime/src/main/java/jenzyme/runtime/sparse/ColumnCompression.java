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
 * @param seeds for sweep s, lane l and column j, {@code seeds[(s * width + l) * n + j]} = 1 when column j has colour
 *              {@code s * width + l}: the lane tables' layout, copied in whole
 */
public record ColumnCompression(long[] key, SparsityPattern pattern, int sweeps, double[] seeds) {

    /**
     * Traces the pattern for {@code arguments} (the method's, as written) and decides: compressed only when it takes
     * fewer sweeps than the dense way, {@code denseSweeps} (forward sweeps of {@code width} columns, or reverse
     * sweeps of a row each).
     */
    public static ColumnCompression decide(ClassBytesSource classes, Set<MethodRef> ruled, EntryPoint entry,
                                           Object[] arguments, int input, int output, int m, int width,
                                           int denseSweeps) {
        long[] key = SparsityPattern.key(arguments, m);
        if (!SparsityPattern.distinctArrays(arguments)) {
            return new ColumnCompression(key, null, 0, null);
        }
        SparsityPattern pattern = DependencyTracer.trace(classes, ruled, entry.ownerInternalName(), entry.methodName(),
                entry.descriptor(), arguments, input, entry.returnsArray() ? -1 : output, m).orElse(null);
        int sweeps = pattern == null ? 0 : (pattern.colours() + width - 1) / width;
        if (pattern == null || sweeps >= denseSweeps) {
            return new ColumnCompression(key, null, 0, null);
        }
        int n = pattern.n();
        double[] seeds = new double[sweeps * width * n];
        for (int j = 0; j < n; j++) {
            seeds[pattern.colour()[j] * n + j] = 1;
        }
        return new ColumnCompression(key, pattern, sweeps, seeds);
    }

    /** Whether this decision holds for a call with {@code arguments} and m outputs (allocation-free). */
    public boolean holdsFor(Object[] arguments, int m) {
        return SparsityPattern.matches(key, arguments, m);
    }
}
