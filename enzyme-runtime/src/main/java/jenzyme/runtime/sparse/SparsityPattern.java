package jenzyme.runtime.sparse;

import java.util.BitSet;

/**
 * Which entries of an m×n Jacobian can be non-zero ({@link DependencyTracer}), and the columns grouped so that no
 * two columns of a group share a row ({@link ColumnColouring}): seeding x's tangent with the sum of a group's unit
 * vectors, one forward lane gives every column of the group, and {@code colours} lanes give the whole Jacobian.
 *
 * @param n       columns (entries of x)
 * @param rows    for each row i, the columns j where dy[i]/dx[j] may be non-zero, ascending
 * @param colour  for each column its group, 0..colours-1
 * @param colours the number of groups (lanes of forward mode that give the Jacobian)
 */
public record SparsityPattern(int n, int[][] rows, int[] colour, int colours) {

    static SparsityPattern of(int n, BitSet[] rows) {
        int[][] columns = new int[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            columns[i] = rows[i].stream().filter(j -> j < n).toArray();
        }
        int[] colour = ColumnColouring.colour(n, columns);
        int colours = 0;
        for (int c : colour) {
            colours = Math.max(colours, c + 1);
        }
        return new SparsityPattern(n, columns, colour, colours);
    }

    public int m() {
        return rows.length;
    }

    public int nonZeros() {
        int count = 0;
        for (int[] row : rows) {
            count += row.length;
        }
        return count;
    }

    /**
     * What a traced pattern depends on besides the code: the length of every array argument and the value of every
     * integer one (doubles can be anything: the tracer treats them as unknown), and m, the length of y.
     * {@link #matches} compares without allocating, for every call of {@code f_jac_into}.
     */
    public static long[] key(Object[] arguments, int m) {
        long[] key = new long[arguments.length + 1];
        for (int p = 0; p < arguments.length; p++) {
            key[p] = keyOf(arguments[p]);
        }
        key[arguments.length] = m;
        return key;
    }

    /** Whether {@code arguments} have {@code key}'s lengths and integers, and no array is passed twice. */
    public static boolean matches(long[] key, Object[] arguments, int m) {
        if (key.length != arguments.length + 1 || key[arguments.length] != m) {
            return false;
        }
        for (int p = 0; p < arguments.length; p++) {
            if (key[p] != keyOf(arguments[p])) {
                return false;
            }
        }
        return distinctArrays(arguments);
    }

    /** The tracer gives each argument its own array: a pattern holds only when no array is passed twice. */
    public static boolean distinctArrays(Object[] arguments) {
        for (int p = 0; p < arguments.length; p++) {
            for (int q = p + 1; q < arguments.length; q++) {
                if (arguments[p] == arguments[q] && arguments[p] instanceof double[]) {
                    return false;
                }
            }
        }
        return true;
    }

    private static long keyOf(Object argument) {
        return switch (argument) {
            case double[] array -> array.length;
            case Integer i -> i;
            case Long l -> l;
            case Short s -> s;
            case Byte b -> b;
            case Character c -> c;
            case Boolean b -> b ? 1 : 0;
            case null, default -> 0;
        };
    }
}
