package jenzyme.runtime.sparse;

/**
 * Writes one forward sweep's share of a compressed Jacobian into J: for each row i and each column j of the pattern
 * whose colour is one of the sweep's lanes l, {@code J[i][j] = lanes[l * m + i]} (the sweep's tangent lanes as one
 * array, lane l's entry i at {@code l * m + i}). With {@code zeroRows} (a compression of one sweep) each row is
 * zeroed just before its entries are written, in one pass over the matrix while the row is in cache.
 *
 * <p>Patterns of up to {@value ScatterCode#MAX_ENTRIES} entries get straight-line code of their own
 * ({@link ScatterCode}), larger ones a loop over index arrays ({@link Loop}).
 */
public interface Scatter {

    /**
     * @param jacobian m rows of n columns (checked by the caller)
     * @param lanes    the sweep's tangent lanes
     */
    void write(double[][] jacobian, double[] lanes);

    /** The scatter of sweep {@code sweep} (lanes {@code sweep * width ..}) of {@code pattern}'s colours. */
    static Scatter of(SparsityPattern pattern, int width, int sweep, boolean zeroRows) {
        int m = pattern.m();
        int[] start = new int[m + 1];
        int[] column = new int[pattern.nonZeros()];
        int[] source = new int[column.length];
        int k = 0;
        for (int i = 0; i < m; i++) {
            start[i] = k;
            for (int j : pattern.rows()[i]) {
                int lane = pattern.colour()[j] - sweep * width;
                if (lane >= 0 && lane < width) {
                    column[k] = j;
                    source[k++] = lane * m + i;
                }
            }
        }
        start[m] = k;
        Loop loop = new Loop(pattern.n(), java.util.Arrays.copyOf(column, k), java.util.Arrays.copyOf(source, k), start,
                zeroRows);
        return k <= ScatterCode.MAX_ENTRIES ? ScatterCode.generate(loop) : loop;
    }

    /**
     * The entries of row i are {@code k = start[i] .. start[i + 1] - 1}, in ascending columns:
     * {@code J[i][column[k]] = lanes[source[k]]}; J has n columns.
     * Flat arrays grouped by row, so that each row is written while it is in cache (decompressing through the
     * pattern's rows and colours cost more than the hand-written Jacobian: 750 against 575 ns on the 20×20
     * Lorenz-96; one flat list of (row, column, source) took 226 ns for its 80 entries, 2.8 ns an entry).
     */
    record Loop(int n, int[] column, int[] source, int[] start, boolean zeroRows) implements Scatter {

        @Override
        public void write(double[][] jacobian, double[] lanes) {
            for (int i = 0, m = start.length - 1; i < m; i++) {
                double[] row = jacobian[i];
                if (zeroRows) {
                    java.util.Arrays.fill(row, 0);
                }
                for (int k = start[i], end = start[i + 1]; k < end; k++) {
                    row[column[k]] = lanes[source[k]];
                }
            }
        }
    }
}
