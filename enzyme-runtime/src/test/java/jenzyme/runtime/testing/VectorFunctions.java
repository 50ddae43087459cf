package jenzyme.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;

/** Reference Jacobians of vector functions run on the JVM, and their comparison, for the Jacobian tests. */
public final class VectorFunctions {

    private VectorFunctions() {}

    /**
     * Central differences of the JVM's own {@code double[] f(...)} or {@code void f(..., double[] y)} (y last) with
     * respect to {@code arguments[input]}, m entries of y; x is restored after each column.
     */
    public static double[][] centralDifferences(MethodHandle jvm, Object[] arguments, int input, int m)
            throws Throwable {
        double[] x = (double[]) arguments[input];
        double[][] fd = new double[m][x.length];
        for (int j = 0; j < x.length; j++) {
            double saved = x[j];
            double h = 1e-6 * Math.max(1, Math.abs(saved));
            x[j] = saved + h;
            double[] plus = output(jvm, arguments);
            x[j] = saved - h;
            double[] minus = output(jvm, arguments);
            x[j] = saved;
            for (int i = 0; i < m; i++) {
                fd[i][j] = (plus[i] - minus[i]) / (2 * h);
            }
        }
        return fd;
    }

    private static double[] output(MethodHandle jvm, Object[] arguments) throws Throwable {
        Object result = jvm.invokeWithArguments(arguments);
        return result != null ? (double[]) result : ((double[]) arguments[arguments.length - 1]).clone();
    }

    /** Entry by entry, within {@code tolerance} relative to 1 + |expected|. */
    public static void assertClose(double[][] expected, double[][] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals(expected[i][j], actual[i][j], tolerance * (1 + Math.abs(expected[i][j])),
                        what + " [" + i + "][" + j + "]");
            }
        }
    }
}
