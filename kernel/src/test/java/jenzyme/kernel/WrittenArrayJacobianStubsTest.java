package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code %autodiff jacobian} of methods that write a plain array parameter other than x and y (an in/out accumulator,
 * {@code acc[i] += x[i]}), through the stubs the notebook calls, with n = 20 so that every mode runs several sweeps:
 * each sweep starts from acc at entry, so the Jacobian is the analytic one, and after {@code _jac}/{@code _jac_into}
 * acc holds what one JVM call leaves in it. Likewise for notebook variables the method writes (a {@code double[]}
 * accumulator and an {@code int[]} counter).
 */
class WrittenArrayJacobianStubsTest {

    private static final String MODELS = """
            void accumulate(double[] x, double[] acc, double[] y) {
                double s = 0;
                for (int i = 0; i < x.length; i++) s += x[i];
                for (int i = 0; i < x.length; i++) { acc[i] += x[i]; y[i] = acc[i] * s; }
            }
            double[] accumulated(double[] x, double[] acc) {
                double[] y = new double[x.length];
                accumulate(x, acc, y);
                return y;
            }
            final class Buf { final double[] a; Buf(double[] a) { this.a = a; } }
            void buffered(double[] x, Buf b, double[] y) {
                double s = 0;
                for (int i = 0; i < x.length; i++) s += x[i];
                for (int i = 0; i < x.length; i++) { b.a[i] += x[i]; y[i] = b.a[i] * s; }
            }
            double[] DRIFT = new double[20];
            int[] calls = {0};
            void drift(double[] x, double[] y) {
                calls[0]++;
                double s = 0;
                for (int i = 0; i < x.length; i++) s += x[i];
                for (int i = 0; i < x.length; i++) { DRIFT[i] += x[i]; y[i] = DRIFT[i] * s; }
            }
            double[] drifted(double[] x) {
                double[] y = new double[x.length];
                drift(x, y);
                return y;
            }
            """;
    private static final int N = 20;

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells(MODELS);

    @Test
    void everySweepStartsFromAccAtEntryAndAccHoldsOneJvmCallsValues() throws Throwable {
        String bound = cells.text("%autodiff jacobian accumulate");
        assertTrue(bound.contains("double[][] accumulate_jac(double[] x, double[] acc, double[] y)"), bound);
        cells.text("%autodiff jacobian accumulate --mode forward --width 3 --name acc3");
        cells.text("%autodiff jacobian accumulate --mode reverse --name accr");
        MethodHandle jvm = cells.handle("accumulate");
        Random random = new Random(11);
        for (String name : new String[] {"accumulate", "acc3", "accr"}) {
            MethodHandle jac = cells.handle(name + "_jac"), into = cells.handle(name + "_jac_into");
            for (int trial = 0; trial < 3; trial++) {
                String what = name + ", trial " + trial;
                double[] x = random.doubles(N, -1, 1).toArray(), acc0 = random.doubles(N, -1, 1).toArray();
                double[] onJvm = acc0.clone();
                jvm.invoke(x.clone(), onJvm, new double[N]);

                double[] acc = acc0.clone();
                double[][] j = new double[N][N];
                into.invoke(x.clone(), acc, new double[N], j);
                assertArrayEquals(onJvm, acc, 0, what + ": acc after _jac_into vs one JVM call");
                assertAnalytic(x, acc0, j, what + " _jac_into");

                acc = acc0.clone();
                j = (double[][]) jac.invoke(x.clone(), acc, new double[N]);
                assertArrayEquals(onJvm, acc, 0, what + ": acc after _jac vs one JVM call");
                assertAnalytic(x, acc0, j, what + " _jac");
            }
        }
    }

    @Test
    void aMethodReturningAnArrayBindsOnlyJacIntoWhichWritesAccOnce() throws Throwable {
        // _jac would size y by calling accumulated on the JVM, writing acc twice
        String bound = cells.text("%autodiff jacobian accumulated");
        assertTrue(bound.contains("void accumulated_jac_into(double[] x, double[] acc, double[][] jacobian)"), bound);
        assertFalse(bound.contains("accumulated_jac("), bound);
        MethodHandle into = cells.handle("accumulated_jac_into");
        double[] x = new Random(5).doubles(N, -1, 1).toArray(), acc0 = new Random(6).doubles(N, -1, 1).toArray();
        double[] acc = acc0.clone();
        double[][] j = new double[N][N];
        into.invoke(x.clone(), acc, j);
        for (int i = 0; i < N; i++) {
            assertEquals(acc0[i] + x[i], acc[i], 0, "acc[" + i + "] after the call: one accumulation");
        }
        assertAnalytic(x, acc0, j, "accumulated_jac_into");
    }

    @Test
    void everySweepStartsFromTheNotebookVariablesAtEntryAndTheCallWritesThemOnce() throws Throwable {
        cells.text("%autodiff jacobian drift");
        cells.text("%autodiff jacobian drift --mode forward --width 3 --name drift3");
        cells.text("%autodiff jacobian drift --mode reverse --name driftr");
        String bound = cells.text("%autodiff jacobian drifted");
        // _jac would size y by calling drifted on the JVM, writing DRIFT and calls twice
        assertTrue(bound.contains("void drifted_jac_into(double[] x, double[][] jacobian)"), bound);
        assertFalse(bound.contains("drifted_jac("), bound);
        Random random = new Random(13);
        cells.run("java.util.Arrays.setAll(DRIFT, i -> Math.sin(i));");
        for (String name : new String[] {"drift", "drift3", "driftr", "drifted"}) {
            MethodHandle into = cells.handle(name + "_jac_into");
            for (int trial = 0; trial < 3; trial++) {
                String what = name + ", trial " + trial;
                double[] drift0 = cells.matrix("new double[][] {DRIFT}")[0];
                double calls0 = cells.numbers("calls[0]")[0];
                double[] x = random.doubles(N, -1, 1).toArray();
                double[][] j = new double[N][N];
                if (name.equals("drifted")) {
                    into.invoke(x.clone(), j);
                } else {
                    into.invoke(x.clone(), new double[N], j);
                }
                double[] drift = cells.matrix("new double[][] {DRIFT}")[0];
                for (int i = 0; i < N; i++) {
                    assertEquals(drift0[i] + x[i], drift[i], 0, what + ": DRIFT[" + i + "] after one accumulation");
                }
                assertEquals(calls0 + 1, cells.numbers("calls[0]")[0], 0, what + ": calls[0] counts the call once");
                assertAnalytic(x, drift0, j, what + " _jac_into");
            }
        }
    }

    @Test
    void everySweepStartsFromAnObjectsArrayFieldAtEntry() throws Throwable {
        for (String mode : new String[] {"forward --width 3", "reverse"}) {
            cells.text("%autodiff jacobian buffered --mode " + mode + " --name buf");
            cells.run("double[] bx = new double[20]; java.util.Arrays.setAll(bx, i -> Math.cos(i));");
            cells.run("Buf bb = new Buf(new double[20]); java.util.Arrays.setAll(bb.a, i -> Math.sin(i));");
            double[] x = cells.matrix("new double[][] {bx}")[0], a0 = cells.matrix("new double[][] {bb.a}")[0];
            double[][] j = cells.matrix("buf_jac(bx, bb, new double[20])");
            double[] a = cells.matrix("new double[][] {bb.a}")[0];
            for (int i = 0; i < N; i++) {
                assertEquals(a0[i] + x[i], a[i], 0, mode + ": bb.a[" + i + "] after one accumulation");
            }
            assertAnalytic(x, a0, j, mode + " buf_jac");
        }
    }

    /** dy_i/dx_c = (acc0_i + x_i) + [i == c] s, s the sum of x. */
    private static void assertAnalytic(double[] x, double[] acc0, double[][] j, String what) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        for (int i = 0; i < N; i++) {
            for (int c = 0; c < N; c++) {
                double expected = acc0[i] + x[i] + (i == c ? s : 0);
                assertEquals(expected, j[i][c], 1e-13 * (1 + Math.abs(expected)), what + " [" + i + "][" + c + "]");
            }
        }
    }
}
