package jenzyme.runtime;

import static jenzyme.runtime.testing.VectorFunctions.assertClose;
import static jenzyme.runtime.testing.WrittenStateJacobians.N;
import static jenzyme.runtime.testing.WrittenStateJacobians.analytic;
import static jenzyme.runtime.testing.WrittenStateJacobians.centralDifferences;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.WrittenStateJacobians;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Jacobians of methods that write state other than x, y and {@code double[]} parameters (those are
 * {@link WrittenArrayJacobianTest}): a counter in an {@code int[]} and a {@code long[]} parameter, and static arrays
 * (a cell class's {@code double[]} and {@code int[]}, which compiled code reads as hidden arguments), a record's
 * {@code float[]} and {@code int[]} components. n = 20 and y
 * depends on every x, so every mode runs several sweeps. Each sweep must start from the state at the call's entry
 * and the call must leave it as one JVM call does: the Jacobian is checked against the analytic one and central
 * differences of the JVM's method, the state against one JVM call. So must x and y when the method updates them in
 * place; a written two-dimensional array is refused. Before the sweeps restored it, the counter read
 * 20 after a reverse Jacobian of 20 rows, and each sweep added x into the static array again.
 */
class WrittenStateJacobianTest {

    private static final String SOURCE = """
            package wsj;
            public class Ws {
                public static double[] ST;
                public static int[] HITS;
                public static void counted(double[] x, int[] calls, long[] ticks, double[] y) {
                    calls[0]++;
                    ticks[0] += 3;
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += x[i];
                    for (int i = 0; i < x.length; i++) y[i] = calls[0] * x[i] * s + ticks[0];
                }
                public static double[][] GRID;
                public record Tally(float[] weight, int[] count) {}
                public static void tallied(double[] x, Tally t, double[] y) {
                    t.count()[0]++;
                    t.weight()[0] += 1;
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += x[i];
                    for (int i = 0; i < x.length; i++) y[i] = (t.count()[0] + t.weight()[0]) * x[i] * s;
                }
                public static void rescaled(double[] x, double[] y) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) { x[i] *= 2; s += x[i]; }
                    for (int i = 0; i < x.length; i++) y[i] = 0.5 * y[i] + x[i] * s;
                }
                public static void gridded(double[] x, int[][] g, double[] y) {
                    g[0][0]++;
                    for (int i = 0; i < x.length; i++) y[i] = g[0][0] * x[i];
                }
                public static void griddedStatic(double[] x, double[] y) {
                    GRID[0][0] += x[0];
                    for (int i = 0; i < x.length; i++) y[i] = GRID[0][0] * x[i];
                }
                public static void accumulateStatic(double[] x, double[] y) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += x[i];
                    HITS[0]++;
                    for (int i = 0; i < x.length; i++) {
                        ST[i] += x[i];
                        y[i] = ST[i] * s * HITS[0];
                    }
                }
            }
            """;
    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static MethodHandle counted;
    private static MethodHandle accumulateStatic;

    @BeforeAll
    static void start() throws Exception {
        classes = InMemoryJavac.compile("wsj.Ws", SOURCE);
        counted = classes.jvmHandle("wsj.Ws", "counted");
        accumulateStatic = classes.jvmHandle("wsj.Ws", "accumulateStatic");
    }

    @Test
    void everySweepStartsFromTheCountersAtEntryAndTheCallCountsOnce() throws Throwable {
        WrittenStateJacobians.inEveryMode(pipeline, new JavaMethod(classes, "wsj/Ws", "counted", "([D[I[J[D)V"), 5, 3,
                (jacobian, random, what) -> {
                    double[] x = random.doubles(N, -1, 1).toArray();
                    int calls0 = random.nextInt(5);
                    long ticks0 = random.nextInt(100);
                    int[] calls = {calls0};
                    long[] ticks = {ticks0};
                    double[][] j = new double[N][N];
                    jacobian.into(j, x.clone(), calls, ticks, new double[N]);

                    int[] callsOnJvm = {calls0};
                    long[] ticksOnJvm = {ticks0};
                    counted.invoke(x.clone(), callsOnJvm, ticksOnJvm, new double[N]);
                    assertArrayEquals(callsOnJvm, calls, what + ": calls after the call vs one JVM call");
                    assertArrayEquals(ticksOnJvm, ticks, what + ": ticks after the call vs one JVM call");
                    assertClose(analytic(x, new double[N], calls0 + 1, 0), j, 1e-13, what + " vs analytic");
                    assertClose(centralDifferences(x, h -> counted.invoke(h.x(), new int[] {calls0},
                            new long[] {ticks0}, h.y())), j, 1e-7, what + " vs central differences");
                });
    }

    @Test
    void everySweepStartsFromARecordsArraysAtEntry() throws Throwable {
        MethodHandle tallied = classes.jvmHandle("wsj.Ws", "tallied");
        java.lang.invoke.MethodHandle tally = java.lang.invoke.MethodHandles.lookup().findConstructor(
                classes.load("wsj.Ws$Tally"), java.lang.invoke.MethodType.methodType(void.class, float[].class,
                        int[].class));
        WrittenStateJacobians.inEveryMode(pipeline, new JavaMethod(classes, "wsj/Ws", "tallied",
                "([DLwsj/Ws$Tally;[D)V"), 11, 3, (jacobian, random, what) -> {
                    double[] x = random.doubles(N, -1, 1).toArray();
                    int count0 = random.nextInt(5);
                    float weight0 = random.nextInt(5);
                    float[] weight = {weight0};
                    int[] count = {count0};
                    double[][] j = new double[N][N];
                    jacobian.into(j, x.clone(), weight, count, new double[N]); // a record: its components

                    float[] weightOnJvm = {weight0};
                    int[] countOnJvm = {count0};
                    tallied.invoke(x.clone(), tally.invoke(weightOnJvm, countOnJvm), new double[N]);
                    assertArrayEquals(countOnJvm, count, what + ": t.count after the call vs one JVM call");
                    assertArrayEquals(weightOnJvm, weight, 0, what + ": t.weight after the call vs one JVM call");
                    assertClose(analytic(x, new double[N], count0 + 1 + (int) weight0 + 1, 0), j, 1e-13,
                            what + " vs analytic");
                });
    }

    @Test
    void everySweepStartsFromTheStaticArraysAtEntryAndTheCallLeavesThemAsOneJvmCallDoes() throws Throwable {
        Class<?> owner = classes.load("wsj.Ws");
        WrittenStateJacobians.inEveryMode(pipeline, new JavaMethod(classes, "wsj/Ws", "accumulateStatic", "([D[D)V"),
                7, 3, (jacobian, random, what) -> {
                    double[] x = random.doubles(N, -1, 1).toArray();
                    double[] st0 = random.doubles(N, -1, 1).toArray();
                    int hits0 = random.nextInt(5);
                    double[] st = st0.clone();
                    int[] hits = {hits0};
                    owner.getField("ST").set(null, st);
                    owner.getField("HITS").set(null, hits);
                    double[][] j = new double[N][N];
                    jacobian.into(j, x.clone(), new double[N]);

                    double[] stOnJvm = st0.clone();
                    int[] hitsOnJvm = {hits0};
                    owner.getField("ST").set(null, stOnJvm);
                    owner.getField("HITS").set(null, hitsOnJvm);
                    accumulateStatic.invoke(x.clone(), new double[N]);
                    assertArrayEquals(stOnJvm, st, 0, what + ": ST after the call vs one JVM call");
                    assertArrayEquals(hitsOnJvm, hits, what + ": HITS after the call vs one JVM call");
                    assertClose(analytic(x, st0, hits0 + 1, 0), j, 1e-13, what + " vs analytic");
                    assertClose(centralDifferences(x, h -> {
                        owner.getField("ST").set(null, st0.clone());
                        owner.getField("HITS").set(null, new int[] {hits0});
                        accumulateStatic.invoke(h.x(), h.y());
                    }), j, 1e-7, what + " vs central differences");
                });
    }

    @Test
    void everySweepStartsFromXAndYAtEntryWhenTheMethodUpdatesThemInPlace() throws Throwable {
        MethodHandle rescaled = classes.jvmHandle("wsj.Ws", "rescaled");
        WrittenStateJacobians.inEveryMode(pipeline, new JavaMethod(classes, "wsj/Ws", "rescaled", "([D[D)V"), 9, 3,
                (jacobian, random, what) -> {
                    double[] x0 = random.doubles(N, -1, 1).toArray();
                    double[] y0 = random.doubles(N, -1, 1).toArray();
                    double[] x = x0.clone();
                    double[] y = y0.clone();
                    double[][] j = new double[N][N];
                    jacobian.into(j, x, y);

                    double[] xOnJvm = x0.clone();
                    double[] yOnJvm = y0.clone();
                    rescaled.invoke(xOnJvm, yOnJvm);
                    assertArrayEquals(xOnJvm, x, 0, what + ": x after the call vs one JVM call");
                    assertArrayEquals(yOnJvm, y, 0, what + ": y after the call vs one JVM call");
                    // y_i = y0_i / 2 + 2 x_i * 2 S, S the sum of x at entry: dy_i/dx_j = 4 (x_i + [i == j] S)
                    assertClose(analytic(x0, new double[N], 4, 0), j, 1e-13, what + " vs analytic");
                    assertClose(centralDifferences(x0, h -> {
                        System.arraycopy(y0, 0, h.y(), 0, N);
                        rescaled.invoke(h.x(), h.y());
                    }), j, 1e-7, what + " vs central differences");
                });
    }

    @Test
    void aWrittenTwoDimensionalArrayIsRefusedNamingIt() {
        for (String[] method : new String[][] {{"gridded", "([D[[I[D)V", "g (int[][])"},
                {"griddedStatic", "([D[D)V", "wsj.Ws.GRID (double[][])"}}) {
            DifferentiationException e = assertThrows(DifferentiationException.class, () -> pipeline.jacobian(
                    new JavaMethod(classes, "wsj/Ws", method[0], method[1]), JacobianOptions.DEFAULT));
            assertTrue(e.getMessage().contains("it writes and reads back " + method[2]), e.getMessage());
            assertTrue(e.getMessage().contains(method[0] + "("), e.getMessage());
        }
    }
}
