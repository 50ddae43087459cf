package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Random;
import jenzyme.runtime.testing.SettledAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code _jac_into} stubs {@code %autodiff jacobian} binds in the notebook allocate nothing per call once the JIT
 * has compiled them (the runtime's {@code JacobianAllocationTest} measures {@code Jacobian.into} itself): a forward
 * Jacobian and a reverse one restoring a written array before each sweep. Arrays of 40 doubles: calls with less
 * than 256 bytes of arrays take the copying route, which allocates.
 */
class JacobianStubsAllocationTest {

    private static final String MODELS = """
            void lorenz96(double[] u, double[] du) {
                int n = u.length;
                for (int i = 0; i < n; i++) du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + 8;
            }
            void leaky(double[] x, double[] acc, double[] y) {
                double s = 0;
                for (int i = 0; i < x.length; i++) s += x[i];
                for (int i = 0; i < x.length; i++) { acc[i] = 0.5 * acc[i] + x[i]; y[i] = acc[i] * s; }
            }
            """;
    private static final int N = 40;

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells(MODELS);

    @Test
    void jacIntoAllocatesNothingPerCall() throws Throwable {
        cells.text("%autodiff jacobian lorenz96");
        cells.text("%autodiff jacobian leaky --mode reverse");
        MethodHandle lorenz = cells.handle("lorenz96_jac_into");
        MethodHandle leaky = cells.handle("leaky_jac_into");
        Random random = new Random(17);
        double[] u = random.doubles(N, -2, 5).toArray(), du = new double[N];
        double[] x = random.doubles(N, -1, 1).toArray(), acc = random.doubles(N, -1, 1).toArray(), y = new double[N];
        double[][] lorenzJacobian = new double[N][N], leakyJacobian = new double[N][N];
        // block lambdas: as a statement, invokeExact's type is void like the stubs'
        List<SettledAllocation.Call> calls = List.of(() -> {
            lorenz.invokeExact(u, du, lorenzJacobian);
        }, () -> {
            leaky.invokeExact(x, acc, y, leakyJacobian);
        });
        for (SettledAllocation.Call call : calls) {
            assertEquals(0, SettledAllocation.bytesPerRound(List.of(call)), "bytes per call");
        }
        assertEquals(0, SettledAllocation.bytesPerRound(calls), "bytes per round of both");

        for (int i = 0; i < N; i++) {
            double[] row = new double[N];
            row[(i + 1) % N] += u[(i + N - 1) % N];
            row[(i + N - 2) % N] -= u[(i + N - 1) % N];
            row[(i + N - 1) % N] += u[(i + 1) % N] - u[(i + N - 2) % N];
            row[i] -= 1;
            org.junit.jupiter.api.Assertions.assertArrayEquals(row, lorenzJacobian[i], 1e-14, "Lorenz-96 row " + i);
        }
        // acc' = acc / 2 + x, y = acc' s: dy_i/dx_c = acc'_i + [i == c] s, acc' what the latest call left
        double s = java.util.Arrays.stream(x).sum();
        for (int i = 0; i < N; i++) {
            for (int c = 0; c < N; c++) {
                double expected = acc[i] + (i == c ? s : 0);
                assertEquals(expected, leakyJacobian[i][c], 1e-13 * (1 + Math.abs(expected)),
                        "leaky [" + i + "][" + c + "]");
            }
        }
    }
}
