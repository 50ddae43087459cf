package jenzyme.runtime;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Random;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.bind.NativeBinder;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.SettledAllocation;
import org.junit.jupiter.api.Test;

/**
 * {@code f_jac_into} allocates nothing once the JIT has compiled it, for every Jacobian in a JVM, not only the first:
 * two forward Jacobians, then a third (compressed in 4 lanes, a returned array in sweeps of 4, dense in 8) and a
 * single-lane reverse one, then a forward and a reverse one (8 rows a sweep, as the two below) of a method writing the
 * fields of an object from the JVM (its state saved at entry and restored before every sweep, its double[] fields'
 * zeroed shadows), then a forward one of a method writing an array parameter (restored likewise), then a reverse one
 * of a method writing an int[] parameter and a static array (restored likewise), each called alone and then in turn. Arrays of 20
 * doubles: calls with less than 256 bytes of arrays always take CallRoute's copying route, which allocates. The JIT
 * needs time to compile, so each is called in batches until one batch allocates nothing ({@link SettledAllocation}).
 *
 * <p>It runs in a JVM of its own with C2's escape analysis off (enzyme-runtime's pom), so that nothing here relies on
 * the JIT removing an allocation: in the JVM of the whole suite, after 37 other test classes, the first Jacobian kept
 * one memory session ({@code GlobalSession$HeapSession}) per sweep in 5 of 6 runs, 32 bytes per call, for a reason a
 * product JVM does not log. The bindings now pass pre-made heap segments ({@code bind.ArraySegments}) and make none
 * per call; with a segment made per call, as before, this test reads 288 bytes per call.
 *
 * <p>What allocated before, with escape analysis on: each Jacobian compiled after the first allocated the heap views
 * of its arrays (288 bytes per sweep, until CallRoute's fresh guard); then a reverse Jacobian after a forward one 64
 * bytes per sweep, while the forward sweeps' lane tables were native segments ({@code bind.LaneTable} made them heap
 * segments); then 32 bytes per call once other code of the Jacobian's C signature had passed native segments of one
 * arena through the JDK's downcall class shared per signature ({@code CallRoute#heapOnly}). Before the first
 * Jacobian this test still does what such code does ({@link #exerciseTheSignatureNatively}).
 */
class JacobianAllocationTest {

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
                public static void leaky(double[] x, double[] acc, double[] y) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += x[i];
                    for (int i = 0; i < x.length; i++) { acc[i] = 0.5 * acc[i] + x[i]; y[i] = acc[i] * s; }
                }
                public static double[] DRIFT = new double[20];
                public static void tally(double[] x, int[] calls, double[] y) {
                    calls[0]++;
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += x[i];
                    for (int i = 0; i < x.length; i++) { DRIFT[i] = 0.5 * DRIFT[i] + x[i]; y[i] = DRIFT[i] * s + calls[0]; }
                }
                public static final class Swarm {
                    public final double[] pos, vel;
                    public double t;
                    public long steps;
                    public Swarm(double[] pos, double[] vel, double t, long steps) {
                        this.pos = pos; this.vel = vel; this.t = t; this.steps = steps;
                    }
                }
                public static double[] drift(Swarm p, double[] k) {
                    for (int i = 0; i < p.pos.length; i++) { p.vel[i] -= 0.01 * k[i] * p.pos[i]; p.pos[i] += 0.01 * p.vel[i]; }
                    p.t += 0.01;
                    p.steps++;
                    double[] y = new double[p.pos.length];
                    for (int i = 0; i < y.length; i++) y[i] = p.pos[i] * k[i] + p.t;
                    return y;
                }
            }
            """;

    private record Call(Jacobian jacobian, double[][] matrix, Object[] arguments) implements SettledAllocation.Call {
        @Override
        public void run() {
            jacobian.into(matrix, arguments);
        }
    }

    @Test
    void noJacobianInAJvmAllocates() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("al.Al", SOURCE);
        Random random = new Random(11);
        try (Pipeline pipeline = Pipeline.create();
             Jacobian lorenz = pipeline.jacobian(new JavaMethod(classes, "al/Al", "lorenz96", "([D[D)V"),
                     JacobianOptions.DEFAULT);
             Jacobian softplus = pipeline.jacobian(new JavaMethod(classes, "al/Al", "softplus", "([D)[D"),
                     JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(4));
             Jacobian chain = pipeline.jacobian(new JavaMethod(classes, "al/Al", "chain", "([D[D)V"),
                     JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withDense(true));
             // one lane: exerciseTheSignatureNatively passes plain shadows, not lane tables
             Jacobian reverse = pipeline.jacobian(new JavaMethod(classes, "al/Al", "lorenz96", "([D[D)V"),
                     JacobianOptions.DEFAULT.withMode(Mode.REVERSE).withWidth(1));
             Jacobian driftForward = pipeline.jacobian(new JavaMethod(classes, "al/Al", "drift",
                     "(Lal/Al$Swarm;[D)[D"), JacobianOptions.DEFAULT.withMode(Mode.FORWARD));
             Jacobian driftReverse = pipeline.jacobian(new JavaMethod(classes, "al/Al", "drift",
                     "(Lal/Al$Swarm;[D)[D"), JacobianOptions.DEFAULT.withMode(Mode.REVERSE));
             Jacobian leaky = pipeline.jacobian(new JavaMethod(classes, "al/Al", "leaky", "([D[D[D)V"),
                     JacobianOptions.DEFAULT.withMode(Mode.FORWARD));
             Jacobian tally = pipeline.jacobian(new JavaMethod(classes, "al/Al", "tally", "([D[I[D)V"),
                     JacobianOptions.DEFAULT.withMode(Mode.REVERSE))) {
            exerciseTheSignatureNatively(reverse.reverse());
            // 10 states in reverse mode (10 sweeps, a quarter of the time of 20): still 320 bytes of arrays a sweep
            double[] v = random.doubles(10, -2, 5).toArray();
            List<Call> calls = List.of(
                    new Call(lorenz, new double[20][20], new Object[] {random.doubles(20, -2, 5).toArray(),
                            new double[20]}),
                    new Call(softplus, new double[20][20], new Object[] {random.doubles(20, -1, 1).toArray()}),
                    new Call(chain, new double[20][20], new Object[] {random.doubles(20, -1, 1).toArray(),
                            new double[20]}),
                    new Call(reverse, new double[10][10], new Object[] {v, new double[10]}),
                    // an object from the JVM, its state restored before each sweep: {t}, {steps}, pos, vel, then k
                    new Call(driftForward, new double[20][20], swarm(random)),
                    new Call(driftReverse, new double[20][20], swarm(random)),
                    // a written array parameter, acc restored before each of the 3 dense sweeps
                    new Call(leaky, new double[20][20], new Object[] {random.doubles(20, -1, 1).toArray(),
                            random.doubles(20, -1, 1).toArray(), new double[20]}),
                    // a written int[] parameter and a written static array, both restored before each of 3 sweeps
                    new Call(tally, new double[20][20], new Object[] {random.doubles(20, -1, 1).toArray(),
                            new int[1], new double[20]}));
            // Each Jacobian's first call comes after the JIT has compiled the ones before: as in a notebook, where
            // the second Jacobian is the one that allocated.
            for (int count = 1; count <= calls.size(); count++) {
                Call newest = calls.get(count - 1);
                newest.run();
                double alone = SettledAllocation.bytesPerRound(List.of(newest));
                assertEquals(0, alone, newest.jacobian().shape().entry().methodName() + " alone, Jacobian " + count
                        + " of the JVM: bytes per call");
                double inTurn = SettledAllocation.bytesPerRound(calls.subList(0, count));
                assertEquals(0, inTurn, count + " Jacobians called in turn: bytes per round");
            }
            assertEquals(4, lorenz.compressedWidth(), "Lorenz-96 compressed, in sweeps of 4 lanes");
            double[] x = (double[]) calls.get(1).arguments()[0];
            double s = 1 / (1 + Math.exp(-(x[0] + 0.5 * x[19]))); // d softplus(x0 + x19 / 2) / d x0
            assertEquals(s, calls.get(1).matrix()[0][0], 1e-14);
            assertEquals(0.5 * s, calls.get(1).matrix()[0][19], 1e-14);
            assertLorenz96((double[]) calls.get(0).arguments()[0], calls.get(0).matrix()); // forward, 20 states
            assertLorenz96(v, calls.get(3).matrix()); // reverse, 10 states
            // leaky: acc' = acc / 2 + x, y = acc' s, so dy_i/dx_c = acc'_i + [i == c] s with acc' what one call left
            Object[] leakyArguments = calls.get(6).arguments();
            double[] lx = (double[]) leakyArguments[0], acc = (double[]) leakyArguments[1];
            double sum = java.util.Arrays.stream(lx).sum();
            for (int i = 0; i < 20; i++) {
                for (int c = 0; c < 20; c++) {
                    double expected = acc[i] + (i == c ? sum : 0);
                    assertEquals(expected, calls.get(6).matrix()[i][c], 1e-14 * (1 + Math.abs(expected)),
                            "leaky [" + i + "][" + c + "]");
                }
            }
            // tally likewise with DRIFT for acc (the counter adds a constant)
            double[] drift = (double[]) classes.load("al.Al").getField("DRIFT").get(null);
            double[] tx = (double[]) calls.get(7).arguments()[0];
            double tsum = java.util.Arrays.stream(tx).sum();
            for (int i = 0; i < 20; i++) {
                for (int c = 0; c < 20; c++) {
                    double expected = drift[i] + (i == c ? tsum : 0);
                    assertEquals(expected, calls.get(7).matrix()[i][c], 1e-14 * (1 + Math.abs(expected)),
                            "tally [" + i + "][" + c + "]");
                }
            }
        }
    }

    /** The leaves of a swarm of 20 (a bounded oscillation: the calls keep advancing it) and its k. */
    private static Object[] swarm(Random random) {
        return new Object[] {new double[] {0}, new long[] {0}, random.doubles(20, -1, 1).toArray(),
                random.doubles(20, -1, 1).toArray(), random.doubles(20, 0.5, 3).toArray()};
    }

    private static void assertLorenz96(double[] u, double[][] jacobian) {
        for (int i = 0, n = u.length; i < n; i++) {
            double[] row = new double[n];
            row[(i + 1) % n] += u[(i + n - 1) % n];
            row[(i + n - 2) % n] -= u[(i + n - 1) % n];
            row[(i + n - 1) % n] += u[(i + 1) % n] - u[(i + n - 2) % n];
            row[i] -= 1;
            assertArrayEquals(row, jacobian[i], 1e-14, n + " states, row " + i);
        }
    }

    /**
     * Calls the reverse sweep's native code ({@code (status, u, du, n, y, dy, n, out)}, the C signature of every
     * sweep of a {@code void f(double[], double[])} but the batched ones) as other code in a busy JVM does: through a
     * plain critical downcall of that signature with native memory of one arena (user FFM code), and through a
     * binding that may pass native memory, with heap arrays beside native segments of one arena (as a binding with
     * JaggedRows' row tables does), until the JIT has compiled both.
     */
    private static void exerciseTheSignatureNatively(Derivative reverse) throws Throwable {
        MemorySegment function = reverse.code().address(reverse.wrapper().symbol());
        FunctionDescriptor signature = NativeBinder.wrapperDescriptor(reverse.wrapper());
        assertEquals(FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS), signature);
        MethodHandle plain = NativeBinder.bindRaw(function, signature);
        MethodHandle binding = NativeBinder.bindWrapper(function, reverse.wrapper());
        double[] u = new double[64]; // 1 KB of heap arrays: the binding's calls go critical
        double[] y = new double[64];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] memory = new MemorySegment[5];
            for (int i = 0; i < memory.length; i++) {
                memory[i] = arena.allocate(1024, 16); // 10 doubles are read, the status block is zero
            }
            for (int k = 0; k < 50_000; k++) {
                plain.invokeExact(memory[0], memory[1], memory[2], 10, memory[3], memory[4], 10, memory[0]);
                binding.invokeExact(memory[0], MemorySegment.ofArray(u), memory[1], 10, MemorySegment.ofArray(y),
                        memory[2], 10, memory[3]);
            }
        }
    }
}
