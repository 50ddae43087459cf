package jenzyme.runtime.sparse;

import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.MethodRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How a Jacobian's forward sweeps are seeded for calls whose arguments match {@link #key}: compressed by its
 * {@link SparsityPattern} ({@code colours} lanes instead of n), or not at all ({@link #pattern} null) when the
 * pattern could not be traced or compression needs no fewer sweeps than the dense Jacobian.
 *
 * @param width      lanes per forward sweep
 * @param seeds      for sweep s, lane l and column j, {@code seeds[(s * width + l) * n + j]} = 1 when column j has
 *                   colour {@code s * width + l}: the lane tables' layout, copied in whole
 * @param scatters   for each sweep, how its tangent lanes are written into the Jacobian (rows zeroed on the way
 *                   when there is one sweep; with more the caller zeroes them first)
 */
public record ColumnCompression(SparsityPattern.Key key, SparsityPattern pattern, int width, int sweeps,
                                double[] seeds, List<Scatter> scatters) {

    /**
     * Traces the pattern for {@code arguments} (the method's, as written) and decides: compressed only when it takes
     * fewer sweeps than the dense way, {@code denseSweeps} (forward sweeps of {@code width} columns, or reverse
     * sweeps of a row each). With {@code narrow}, fewer colours than {@code width} are laid out in sweeps of as many
     * lanes as colours (an idle lane costs as much as a busy one: Lorenz-96 20×20 has 4 colours, and its compressed
     * Jacobian took 537 ns in 8 lanes against 450 ns in 4); the caller then needs a derivative of that width.
     */
    public static ColumnCompression decide(ClassBytesSource classes, Set<MethodRef> ruled, EntryPoint entry,
                                           Object[] arguments, int input, int output, int m, int width,
                                           int denseSweeps, boolean narrow) {
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
        return laidOut(key, pattern, narrow ? Math.min(width, pattern.colours()) : width);
    }

    private static ColumnCompression laidOut(SparsityPattern.Key key, SparsityPattern pattern, int width) {
        int sweeps = (pattern.colours() + width - 1) / width;
        int n = pattern.n();
        double[] seeds = new double[sweeps * width * n];
        for (int j = 0; j < n; j++) {
            seeds[pattern.colour()[j] * n + j] = 1;
        }
        List<Scatter> scatters = new ArrayList<>();
        for (int sweep = 0; sweep < sweeps; sweep++) {
            scatters.add(Scatter.of(pattern, width, sweep, sweeps == 1));
        }
        return new ColumnCompression(key, pattern, width, sweeps, seeds, List.copyOf(scatters));
    }

    /** Whether this decision holds for a call with {@code arguments} and m outputs (allocation-free). */
    public boolean holdsFor(Object[] arguments, int m) {
        return key.matches(arguments, m);
    }
}
