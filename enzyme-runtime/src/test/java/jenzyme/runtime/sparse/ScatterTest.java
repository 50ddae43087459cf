package jenzyme.runtime.sparse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The decompression of compressed Jacobians: each sweep's scatter writes exactly the pattern's entries of its
 * colours from the right lanes, whether generated as code of its own (split over several methods when large, rows
 * zeroed by stores or by {@code Arrays.fill}) or run as the loop over index arrays, on random patterns against
 * {@code J[i][j] = lanes of sweep colour(j) / width, at lane colour(j) % width, entry i} written out here.
 */
class ScatterTest {

    @Test
    void oneSweepWritesEveryEntryAndZeroesTheRest() {
        // the Lorenz-96 band (4 colours, rows zeroed by stores), a wider random one (Arrays.fill), and many rows
        // whose code is split over several methods
        check(pattern(20, 20, i -> new int[] {i, (i + 1) % 20, (i + 18) % 20, (i + 19) % 20}), 4);
        check(random(40, 50, 0.1, 1), Integer.MAX_VALUE);
        SparsityPattern tall = random(900, 24, 0.08, 2);
        check(tall, Integer.MAX_VALUE);
        Scatter split = Scatter.of(tall, tall.colours(), 0, true);
        assertTrue(split.getClass().getDeclaredMethods().length > 3, "900 rows of stored zeros need several methods");
    }

    @Test
    void severalSweepsEachWriteTheirOwnColours() {
        check(random(30, 36, 0.15, 3), 3);
        check(random(60, 20, 0.2, 4), 5);
    }

    @Test
    void patternsOverTheCodeLimitUseTheLoop() {
        // 4200 entries in one sweep; the second one has two sweeps, the first of them over the limit
        check(pattern(2100, 40, i -> new int[] {i % 40, (i + 1) % 40}), Integer.MAX_VALUE);
        check(pattern(2100, 40, i -> new int[] {i % 40, (i + 1) % 40, (i + 2) % 40}), 2);
    }

    /**
     * Every sweep of {@code pattern} at {@code width} lanes (at most its colours) against the definition; a sweep's
     * scatter is generated code unless it has more than {@link ScatterCode#MAX_ENTRIES} entries.
     */
    private static void check(SparsityPattern pattern, int width) {
        int lanesPerSweep = Math.min(width, pattern.colours());
        int sweeps = (pattern.colours() + lanesPerSweep - 1) / lanesPerSweep;
        int m = pattern.m();
        int n = pattern.n();
        Random random = new Random(m * 31L + n);
        double[][] lanes = new double[sweeps][];
        double[][] expected = new double[m][n];
        for (int s = 0; s < sweeps; s++) {
            lanes[s] = random.doubles(lanesPerSweep * m, -1, 1).toArray();
        }
        for (int i = 0; i < m; i++) {
            for (int j : pattern.rows()[i]) {
                int colour = pattern.colour()[j];
                expected[i][j] = lanes[colour / lanesPerSweep][colour % lanesPerSweep * m + i];
            }
        }
        double[][] jacobian = filled(m, n, Double.NaN); // stale entries of an earlier call must not survive
        if (sweeps > 1) {
            for (double[] row : jacobian) {
                Arrays.fill(row, 0); // as Jacobian.into does before several sweeps
            }
        }
        int entries = 0;
        for (int s = 0; s < sweeps; s++) {
            Scatter scatter = Scatter.of(pattern, lanesPerSweep, s, sweeps == 1);
            int own = 0;
            for (int[] row : pattern.rows()) {
                for (int j : row) {
                    own += pattern.colour()[j] / lanesPerSweep == s ? 1 : 0;
                }
            }
            assertEquals(own > ScatterCode.MAX_ENTRIES, scatter instanceof Scatter.Loop, own + " entries");
            scatter.write(jacobian, lanes[s]);
            if (sweeps > 1) {
                entries += onlyItsColours(pattern, scatter, lanesPerSweep, s, lanes[s]);
            }
        }
        if (sweeps > 1) {
            assertEquals(pattern.nonZeros(), entries, "every entry written by exactly one sweep");
        }
        for (int i = 0; i < m; i++) {
            assertArrayEquals(expected[i], jacobian[i], 0, "row " + i);
        }
    }

    /**
     * One of several sweeps (which zero nothing) writing into a matrix of 7s changes exactly its own colours'
     * entries; returns how many.
     */
    private static int onlyItsColours(SparsityPattern pattern, Scatter scatter, int width, int sweep,
                                      double[] lanes) {
        double[][] jacobian = filled(pattern.m(), pattern.n(), 7);
        scatter.write(jacobian, lanes);
        int written = 0;
        for (int i = 0; i < pattern.m(); i++) {
            for (int j = 0; j < pattern.n(); j++) {
                int lane = pattern.colour()[j] - sweep * width;
                boolean mine = Arrays.binarySearch(pattern.rows()[i], j) >= 0 && lane >= 0 && lane < width;
                assertEquals(mine ? lanes[lane * pattern.m() + i] : 7, jacobian[i][j], "J[" + i + "][" + j + "]");
                written += mine ? 1 : 0;
            }
        }
        return written;
    }

    private static double[][] filled(int m, int n, double value) {
        double[][] matrix = new double[m][n];
        for (double[] row : matrix) {
            Arrays.fill(row, value);
        }
        return matrix;
    }

    private static SparsityPattern pattern(int m, int n, IntFunction<int[]> columns) {
        BitSet[] rows = new BitSet[m];
        for (int i = 0; i < m; i++) {
            rows[i] = new BitSet();
            for (int j : columns.apply(i)) {
                rows[i].set(j);
            }
        }
        return SparsityPattern.of(n, rows);
    }

    /** About {@code density * n} columns in each row, at least one, at random. */
    private static SparsityPattern random(int m, int n, double density, long seed) {
        Random random = new Random(seed);
        return pattern(m, n, i -> random.ints(0, n).limit(Math.max(1, Math.round(density * n))).toArray());
    }
}
