package jenzyme.hipparchus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import org.hipparchus.analysis.MultivariateFunction;
import org.hipparchus.analysis.MultivariateVectorFunction;
import org.junit.jupiter.api.Test;

/**
 * What {@link HipparchusBridge#objective(HipparchusBridge.ValueAndGradient)} allocates per new point, asked as an
 * optimiser asks (the value, then the gradient): exactly the gradient it hands out, as many bytes as a clone of an
 * array of n doubles, measured the same way. Deterministic in any JVM: the binding is Java (no native call), the
 * copies handed out are kept (escape analysis cannot remove them), and nothing else is allocated per call, compiled or
 * not. The values are the analytic ones at both alternating points, after the buffers were reused 40 000 times.
 */
class LastPointAllocationTest {

    private static final int N = 10;
    private static final int ROUNDS = 20_000;

    /** ½ Σ c_i x_i², its gradient (c_i x_i) written over whatever the array held, as {@code f_grad_set} does. */
    private static double weightedSquares(double[] x, double[] g) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            g[i] = (i + 1) * x[i];
            s += 0.5 * (i + 1) * x[i] * x[i];
        }
        return s;
    }

    private final double[][] kept = new double[2][];

    @Test
    void eachNewPointAllocatesOnlyTheGradientHandedOut() {
        var objective = HipparchusBridge.objective(LastPointAllocationTest::weightedSquares);
        MultivariateFunction value = objective.function().getObjectiveFunction();
        MultivariateVectorFunction gradient = objective.gradient().getObjectiveFunctionGradient();
        double[][] points = new double[2][N];
        for (int i = 0; i < N; i++) {
            points[0][i] = 0.5 + i;
            points[1][i] = -1.5 * i;
        }
        double bridge = bytesPerRound(round -> {
            double[] x = points[round & 1];
            value.value(x);
            kept[round & 1] = gradient.value(x);
        });
        double clone = bytesPerRound(round -> kept[round & 1] = points[round & 1].clone());
        assertEquals(clone, bridge, "bytes per new point: one array of " + N + " doubles");
        for (double[] x : points) {
            double[] expected = new double[N];
            assertEquals(weightedSquares(x, expected), value.value(x), 0);
            assertArrayEquals(expected, gradient.value(x), 0);
        }
    }

    /** Bytes this thread allocates per round, over {@value #ROUNDS} rounds after as many to warm up. */
    private static double bytesPerRound(java.util.function.IntConsumer round) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        for (int k = 0; k < ROUNDS; k++) {
            round.accept(k);
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int k = 0; k < ROUNDS; k++) {
            round.accept(k);
        }
        return (threads.getThreadAllocatedBytes(thread) - before) / (double) ROUNDS;
    }
}
