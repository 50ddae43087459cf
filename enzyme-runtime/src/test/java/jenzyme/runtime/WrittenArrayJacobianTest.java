package jenzyme.runtime;

import static jenzyme.runtime.testing.VectorFunctions.assertClose;
import static jenzyme.runtime.testing.WrittenStateJacobians.N;
import static jenzyme.runtime.testing.WrittenStateJacobians.analytic;
import static jenzyme.runtime.testing.WrittenStateJacobians.centralDifferences;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.invoke.MethodHandle;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.WrittenStateJacobians;
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
        WrittenStateJacobians.inEveryMode(pipeline, new JavaMethod(classes, "wjac/Wj", "accumulate", "([D[D[D)V"), 3,
                4, (jacobian, random, what) -> {
                    double[] x = random.doubles(N, -1, 1).toArray();
                    double[] acc0 = random.doubles(N, -1, 1).toArray();
                    double[] acc = acc0.clone();
                    double[][] j = new double[N][N];
                    jacobian.into(j, x.clone(), acc, new double[N]);

                    double[] accOnJvm = acc0.clone();
                    accumulate.invoke(x.clone(), accOnJvm, new double[N]);
                    assertArrayEquals(accOnJvm, acc, 0, what + ": acc after the call vs one JVM call");
                    // dy_i/dx_j = (acc0_i + x_i) + [i == j] s, s the sum of x
                    assertClose(analytic(x, acc0, 1, 0), j, 1e-13, what + " vs analytic");
                    // each evaluation on a fresh copy of acc at entry
                    assertClose(centralDifferences(x, h -> accumulate.invoke(h.x(), acc0.clone(), h.y())), j, 1e-7,
                            what + " vs central differences");
                });
    }
}
