package jenzyme.runtime;

import static jenzyme.runtime.testing.VectorFunctions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.JacobianModes;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Jacobians of a method that writes a plain {@code double[]} parameter other than x and y, an in/out accumulator
 * ({@code acc[i] += x[i]; y[i] = acc[i] * s}), with n = 20 so that every mode runs several sweeps (forward: one per
 * 1, 3 or 8 columns; reverse: one per row; the Jacobian is dense, so nothing compresses it to one). Each sweep must
 * start from acc as it was at the call's entry, and acc after the call must hold what one JVM call leaves, so the
 * Jacobian is checked against the analytic one and central differences of the JVM's method, and acc against one JVM
 * call.
 */
class WrittenArrayJacobianTest {

    private static final String SOURCE = """
            package wjac;
            public class Wj {
                public static void accumulate(double[] x, double[] acc, double[] y) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += x[i];
                    for (int i = 0; i < x.length; i++) {
                        acc[i] += x[i];
                        y[i] = acc[i] * s;
                    }
                }
            }
            """;
    private static final int N = 20;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static MethodHandle accumulate;

    @BeforeAll
    static void start() throws Exception {
        classes = InMemoryJavac.compile("wjac.Wj", SOURCE);
        accumulate = classes.jvmHandle("wjac.Wj", "accumulate");
    }


    @Test
    void everySweepStartsFromTheAccumulatorAtEntryAndTheCallLeavesItAsOneJvmCallDoes() throws Throwable {
        for (Map.Entry<String, JacobianOptions> mode : JacobianModes.all().entrySet()) {
            Random random = new Random(3);
            try (Jacobian jacobian = pipeline.jacobian(new JavaMethod(classes, "wjac/Wj", "accumulate",
                    "([D[D[D)V"), mode.getValue())) {
                for (int trial = 0; trial < 4; trial++) {
                    String what = mode.getKey() + ", trial " + trial;
                    double[] x = random.doubles(N, -1, 1).toArray();
                    double[] acc0 = random.doubles(N, -1, 1).toArray();
                    double[] acc = acc0.clone();
                    double[][] j = new double[N][N];
                    jacobian.into(j, x.clone(), acc, new double[N]);

                    double[] accOnJvm = acc0.clone();
                    accumulate.invoke(x.clone(), accOnJvm, new double[N]);
                    assertArrayEquals(accOnJvm, acc, 0, what + ": acc after the call vs one JVM call");
                    assertClose(analytic(x, acc0), j, 1e-13, what + " vs analytic");
                    assertClose(centralDifferences(x, acc0), j, 1e-7, what + " vs central differences");
                }
            }
        }
    }

    /** dy_i/dx_j = (acc0_i + x_i) + [i == j] s, s the sum of x. */
    private static double[][] analytic(double[] x, double[] acc0) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        double[][] j = new double[N][N];
        for (int i = 0; i < N; i++) {
            for (int c = 0; c < N; c++) {
                j[i][c] = acc0[i] + x[i] + (i == c ? s : 0);
            }
        }
        return j;
    }

    /** Central differences of the JVM's method, each evaluation on a fresh copy of acc at entry. */
    private static double[][] centralDifferences(double[] x, double[] acc0) throws Throwable {
        double[][] fd = new double[N][N];
        for (int c = 0; c < N; c++) {
            double[] up = x.clone(), down = x.clone();
            double step = 1e-6 * Math.max(1, Math.abs(x[c]));
            up[c] += step;
            down[c] -= step;
            double[] plus = new double[N], minus = new double[N];
            accumulate.invoke(up, acc0.clone(), plus);
            accumulate.invoke(down, acc0.clone(), minus);
            for (int r = 0; r < N; r++) {
                fd[r][c] = (plus[r] - minus[r]) / (2 * step);
            }
        }
        return fd;
    }
}
