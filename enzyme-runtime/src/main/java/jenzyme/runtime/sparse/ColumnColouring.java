package jenzyme.runtime.sparse;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Greedy distance-2 colouring of a Jacobian's columns (Curtis–Powell–Reid): two columns that share a row get
 * different colours, so each row holds at most one column of a colour and a forward lane seeded with the sum of one
 * colour's columns gives each of them exactly. Columns in natural order: on banded and cyclic-banded patterns (ODE
 * right-hand sides such as Lorenz-96) that reaches the bandwidth, the lower bound.
 */
final class ColumnColouring {

    private ColumnColouring() {}

    /** For each of the n columns its colour, 0-based; {@code rows[i]} lists row i's columns. */
    static int[] colour(int n, int[][] rows) {
        List<List<Integer>> rowsOf = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            rowsOf.add(new ArrayList<>());
        }
        for (int i = 0; i < rows.length; i++) {
            for (int j : rows[i]) {
                rowsOf.get(j).add(i);
            }
        }
        int[] colour = new int[n];
        java.util.Arrays.fill(colour, -1);
        BitSet taken = new BitSet();
        for (int j = 0; j < n; j++) {
            taken.clear();
            for (int i : rowsOf.get(j)) {
                for (int k : rows[i]) {
                    if (colour[k] >= 0) {
                        taken.set(colour[k]);
                    }
                }
            }
            colour[j] = taken.nextClearBit(0);
        }
        return colour;
    }
}
