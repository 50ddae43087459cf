package jenzyme.hipparchus;

import jenzyme.runtime.error.Messages;

/** Checks of what the user's lambdas return, before Hipparchus indexes into it and fails in its own terms. */
final class Shapes {

    private Shapes() {}

    /** {@code matrix} must be {@code rows} × {@code columns}; {@code what} names it in the message. */
    static void check(double[][] matrix, int rows, int columns, String what) {
        boolean fits = matrix != null && matrix.length == rows;
        for (int i = 0; fits && i < rows; i++) {
            fits = matrix[i] != null && matrix[i].length == columns;
        }
        if (!fits) {
            String got = matrix == null ? "null" : matrix.length + " rows"
                    + (matrix.length > 0 && matrix[0] != null ? " of " + matrix[0].length : "");
            throw new IllegalArgumentException(Messages.HIPPARCHUS_MATRIX_SHAPE.format(what, rows, columns, got));
        }
    }

    /** {@code vector} must have {@code length} entries. */
    static void check(double[] vector, int length, String what) {
        if (vector == null || vector.length != length) {
            throw new IllegalArgumentException(Messages.HIPPARCHUS_VECTOR_LENGTH.format(what, length,
                    vector == null ? "null" : String.valueOf(vector.length)));
        }
    }
}
