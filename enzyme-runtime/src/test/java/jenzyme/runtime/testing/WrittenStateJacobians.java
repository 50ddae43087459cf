package jenzyme.runtime.testing;

import java.util.Map;
import java.util.Random;
import jenzyme.runtime.Jacobian;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.JacobianOptions;

/**
 * What the Jacobian tests of methods that write state share (WrittenStateJacobianTest, WrittenArrayJacobianTest,
 * LambdaStateJacobianTest): n = {@link #N} with y depending on every x, so that every mode runs several sweeps; trials
 * in every mode of {@link JacobianModes}; the Jacobian of their methods, {@code y_i = c (a_i + x_i) s} and kin; and
 * central differences of a JVM call that sets its state up afresh for each evaluation.
 */
public final class WrittenStateJacobians {

    /** The length of x and y: forward mode runs one sweep per 1, 3 or 8 columns, reverse one per row. */
    public static final int N = 20;

    /** One trial of a mode: draws its inputs from {@code random} and checks {@code jacobian}, naming {@code what}. */
    @FunctionalInterface
    public interface Trial {
        void run(Jacobian jacobian, Random random, String what) throws Throwable;
    }

    /** One JVM call on x into y, from the state at entry (the call sets it up afresh). */
    @FunctionalInterface
    public interface JvmCall {
        record Arrays(double[] x, double[] y) {}

        void run(Arrays arrays) throws Throwable;
    }

    private WrittenStateJacobians() {}

    /**
     * Runs {@code trials} trials in every mode, each mode with the Jacobian of {@code method} and a {@link Random}
     * seeded with {@code seed}, so that every mode sees the same inputs; {@code what} is "mode, trial k".
     */
    public static void inEveryMode(Pipeline pipeline, JavaMethod method, long seed, int trials, Trial trial)
            throws Throwable {
        for (Map.Entry<String, JacobianOptions> mode : JacobianModes.all().entrySet()) {
            Random random = new Random(seed);
            try (Jacobian jacobian = pipeline.jacobian(method, mode.getValue())) {
                for (int k = 0; k < trials; k++) {
                    trial.run(jacobian, random, mode.getKey() + ", trial " + k);
                }
            }
        }
    }

    /**
     * The Jacobian of {@code y_i = c (a_i + x_i) s + c diagonal x_i} (plus a constant), s the sum of x:
     * {@code dy_i/dx_j = c (a_i + x_i + [i == j] (diagonal + s))}.
     */
    public static double[][] analytic(double[] x, double[] a, double c, double diagonal) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        int n = x.length;
        double[][] j = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int col = 0; col < n; col++) {
                j[i][col] = c * (a[i] + x[i] + (i == col ? diagonal + s : 0));
            }
        }
        return j;
    }

    /** Central differences of {@code call} at x, y as long as x, each evaluation on fresh arrays. */
    public static double[][] centralDifferences(double[] x, JvmCall call) throws Throwable {
        int n = x.length;
        double[][] fd = new double[n][n];
        for (int c = 0; c < n; c++) {
            double[] up = x.clone(), down = x.clone();
            double step = 1e-6 * Math.max(1, Math.abs(x[c]));
            up[c] += step;
            down[c] -= step;
            double[] plus = new double[n], minus = new double[n];
            call.run(new JvmCall.Arrays(up, plus));
            call.run(new JvmCall.Arrays(down, minus));
            for (int r = 0; r < n; r++) {
                fd[r][c] = (plus[r] - minus[r]) / (2 * step);
            }
        }
        return fd;
    }
}
