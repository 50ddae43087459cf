package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.Test;

/**
 * {@code f_jac_into} allocates nothing once the JIT has compiled it, for every forward-mode Jacobian in a JVM, not
 * only the first: two Jacobians, then a third (compressed in 4 lanes, a returned array in sweeps of 4, dense in 8),
 * each called alone and then in turn. Arrays of 20 doubles: calls with less than 256 bytes of arrays always take
 * CallRoute's copying route, which allocates. (Before CallRoute's fresh guard,
 * each Jacobian compiled after the first allocated the heap views of its arrays: 288 bytes per sweep.) The JIT
 * needs time to compile, so each is called in batches until one allocates nothing, at most {@value #BATCHES}.
 * Alone in a JVM every call settles at 0 bytes; after the rest of the suite had run in the same JVM (profiles of
 * the shared binding code polluted by hundreds of other bindings) calls settled at 32 and 96 bytes in CI, so this
 * test runs in a JVM of its own (enzyme-runtime's pom), and the bound is {@value #BYTES_PER_CALL} bytes per call:
 * the heap views (288) must be gone.
 */
class JacobianAllocationTest {

    private static final int BATCHES = 200;
    private static final int CALLS = 2_000;
    private static final double BYTES_PER_CALL = 64;

    private static final String SOURCE = """
            package al;
            public class Al {
                public static void lorenz96(double[] u, double[] du) {
                    int n = u.length;
                    for (int i = 0; i < n; i++)
                        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + 8;
                }
                public static double[] softplus(double[] x) {
                    double[] y = new double[x.length];
                    for (int i = 0; i < x.length; i++) y[i] = Math.log(1 + Math.exp(x[i] + 0.5 * x[x.length - 1]));
                    return y;
                }
                public static void chain(double[] x, double[] y) {
                    for (int i = 0; i < y.length; i++) y[i] = Math.exp(x[i]) * x[(i + 1) % x.length];
                }
            }
            """;

    private record Call(Jacobian jacobian, double[][] matrix, Object[] arguments) {
        void run() {
            jacobian.into(matrix, arguments);
        }
    }

    @Test
    void noForwardJacobianInAJvmAllocatesTheHeapViewsOfItsArrays() {
        CompiledClasses classes = InMemoryJavac.compile("al.Al", SOURCE);
        Random random = new Random(11);
        try (Pipeline pipeline = Pipeline.create();
             Jacobian lorenz = pipeline.jacobian(new JavaMethod(classes, "al/Al", "lorenz96", "([D[D)V"),
                     JacobianOptions.DEFAULT);
             Jacobian softplus = pipeline.jacobian(new JavaMethod(classes, "al/Al", "softplus", "([D)[D"),
                     JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(4));
             Jacobian chain = pipeline.jacobian(new JavaMethod(classes, "al/Al", "chain", "([D[D)V"),
                     JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withDense(true))) {
            List<Call> calls = List.of(
                    new Call(lorenz, new double[20][20], new Object[] {random.doubles(20, -2, 5).toArray(),
                            new double[20]}),
                    new Call(softplus, new double[20][20], new Object[] {random.doubles(20, -1, 1).toArray()}),
                    new Call(chain, new double[20][20], new Object[] {random.doubles(20, -1, 1).toArray(),
                            new double[20]}));
            // Each Jacobian's first call comes after the JIT has compiled the ones before: as in a notebook, where
            // the second Jacobian is the one that allocated.
            for (int count = 1; count <= calls.size(); count++) {
                Call newest = calls.get(count - 1);
                newest.run();
                double alone = bytesPerCallOnceSettled(List.of(newest));
                assertTrue(alone < BYTES_PER_CALL, newest.jacobian().shape().entry().methodName() + " alone, Jacobian "
                        + count + " of the JVM: " + alone + " bytes per call");
                double inTurn = bytesPerCallOnceSettled(calls.subList(0, count));
                assertTrue(inTurn < BYTES_PER_CALL * count, count + " Jacobians called in turn: " + inTurn
                        + " bytes per round");
            }
            assertEquals(4, lorenz.compressedWidth(), "Lorenz-96 compressed, in sweeps of 4 lanes");
            double[] x = (double[]) calls.get(1).arguments()[0];
            double s = 1 / (1 + Math.exp(-(x[0] + 0.5 * x[19]))); // d softplus(x0 + x19 / 2) / d x0
            assertEquals(s, calls.get(1).matrix()[0][0], 1e-14);
            assertEquals(0.5 * s, calls.get(1).matrix()[0][19], 1e-14);
        }
    }

    /**
     * Bytes allocated per round of {@code calls} (each called once, in turn) in the first batch that allocates
     * nothing, or in the last of {@value #BATCHES} batches.
     */
    private static double bytesPerCallOnceSettled(List<Call> calls) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        Call[] each = calls.toArray(Call[]::new);
        long bytes = 0;
        for (int batch = 0; batch < BATCHES; batch++) {
            long before = threads.getThreadAllocatedBytes(thread);
            for (int k = 0; k < CALLS; k++) {
                for (Call call : each) {
                    call.run();
                }
            }
            bytes = threads.getThreadAllocatedBytes(thread) - before;
            if (bytes == 0) {
                break;
            }
        }
        return bytes / (double) CALLS;
    }
}
