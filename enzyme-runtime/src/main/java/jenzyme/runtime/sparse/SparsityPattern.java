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
     * What a traced pattern depends on besides the code: the length of every array argument, the value of every
     * integer one and the class of every other object (a lambda's: one per lambda site; doubles can be anything, the
     * tracer treats them as unknown), and m, the length of y. {@link #matches} compares without allocating, for
     * every call of {@code f_jac_into}.
     */
    public record Key(long[] numbers, Class<?>[] classes) {

        public static Key of(Object[] arguments, int m) {
            long[] numbers = new long[arguments.length + 1];
            Class<?>[] classes = new Class<?>[arguments.length];
            for (int p = 0; p < arguments.length; p++) {
                numbers[p] = numberOf(arguments[p]);
                classes[p] = classOf(arguments[p]);
            }
            numbers[arguments.length] = m;
            return new Key(numbers, classes);
        }

        /** Whether {@code arguments} have this key's lengths, integers and classes, and no array is passed twice. */
        public boolean matches(Object[] arguments, int m) {
            if (numbers.length != arguments.length + 1 || numbers[arguments.length] != m) {
                return false;
            }
            for (int p = 0; p < arguments.length; p++) {
                if (numbers[p] != numberOf(arguments[p]) || classes[p] != classOf(arguments[p])) {
                    return false;
                }
            }
            return distinctArrays(arguments);
        }
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

    private static long numberOf(Object argument) {
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

    private static Class<?> classOf(Object argument) {
        return argument == null || argument instanceof double[] || argument instanceof Number
                || argument instanceof Character || argument instanceof Boolean ? null : argument.getClass();
    }
}
