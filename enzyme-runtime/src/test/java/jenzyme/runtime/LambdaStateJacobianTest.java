package jenzyme.runtime;

import static jenzyme.runtime.testing.VectorFunctions.assertClose;
import static jenzyme.runtime.testing.WrittenStateJacobians.N;
import static jenzyme.runtime.testing.WrittenStateJacobians.analytic;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.JacobianModes;
import jenzyme.runtime.testing.WrittenStateJacobians;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Jacobians of methods taking a lambda that write state, n = 20 so that every mode runs several sweeps. Their code
 * is compiled per lambda site at the first call, so the sweeps restore every array parameter: an accumulator the
 * method writes starts every sweep from its value at entry and holds one JVM call's value after the call. What they
 * cannot restore, an array the lambda captured or a static array, is refused at the first call with that lambda,
 * naming it. Before, each sweep started from the previous sweeps' writes: after a reverse Jacobian the accumulator
 * held 20 accumulations, the lambda's counter read 20 where one JVM call gives 1.
 */
class LambdaStateJacobianTest {

    private static final String SOURCE = """
            package lsj;
            public class Ls {
                public interface Rhs { void eval(double[] u, double[] du); }
                public static double[] LST;
                public static void stepAcc(Rhs f, double[] x, double[] acc, double[] y) {
                    f.eval(x, y);
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += x[i];
                    for (int i = 0; i < x.length; i++) { acc[i] += x[i]; y[i] += acc[i] * s; }
                }
                public static void stepStatic(Rhs f, double[] x, double[] y) {
                    f.eval(x, y);
                    for (int i = 0; i < x.length; i++) { LST[i] += x[i]; y[i] += LST[i]; }
                }
                public static Rhs identity() {
                    return (u, du) -> { for (int i = 0; i < u.length; i++) du[i] = u[i]; };
                }
                public static Rhs counting(int[] c) {
                    return (u, du) -> { c[0]++; for (int i = 0; i < u.length; i++) du[i] = u[i] * c[0]; };
                }
            }
            """;
    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static Class<?> owner;

    @BeforeAll
    static void start() throws Exception {
        classes = InMemoryJavac.compile("lsj.Ls", SOURCE);
        owner = classes.load("lsj.Ls");
    }

    @Test
    void everySweepStartsFromTheAccumulatorAtEntry() throws Throwable {
        MethodHandle stepAcc = classes.jvmHandle("lsj.Ls", "stepAcc");
        Object identity = owner.getMethod("identity").invoke(null);
        WrittenStateJacobians.inEveryMode(pipeline, new JavaMethod(classes, "lsj/Ls", "stepAcc",
                "(Llsj/Ls$Rhs;[D[D[D)V"), 3, 3, (jacobian, random, what) -> {
                    double[] x = random.doubles(N, -1, 1).toArray();
                    double[] acc0 = random.doubles(N, -1, 1).toArray();
                    double[] acc = acc0.clone();
                    double[][] j = new double[N][N];
                    jacobian.into(j, identity, x.clone(), acc, new double[N]);

                    double[] accOnJvm = acc0.clone();
                    stepAcc.invoke(identity, x.clone(), accOnJvm, new double[N]);
                    assertArrayEquals(accOnJvm, acc, 0, what + ": acc after the call vs one JVM call");
                    // y_i = x_i + (acc0_i + x_i) s, s the sum of x: dy_i/dx_j = [i == j] (1 + s) + acc0_i + x_i
                    assertClose(analytic(x, acc0, 1, 1), j, 1e-13, what + " vs analytic");
                });
    }

    @Test
    void anArrayTheLambdaCapturesOrAStaticArrayWrittenAndReadIsRefusedNamingIt() throws Throwable {
        owner.getField("LST").set(null, new double[N]);
        Object identity = owner.getMethod("identity").invoke(null);
        int[] calls = {0};
        Object counting = owner.getMethod("counting", int[].class).invoke(null, (Object) calls);
        for (Map.Entry<String, JacobianOptions> mode : JacobianModes.all().entrySet()) {
            try (Jacobian acc = pipeline.jacobian(new JavaMethod(classes, "lsj/Ls", "stepAcc",
                    "(Llsj/Ls$Rhs;[D[D[D)V"), mode.getValue());
                 Jacobian statics = pipeline.jacobian(new JavaMethod(classes, "lsj/Ls", "stepStatic",
                         "(Llsj/Ls$Rhs;[D[D)V"), mode.getValue())) {
                double[] x = new Random(5).doubles(N, -1, 1).toArray();
                DifferentiationException captured = assertThrows(DifferentiationException.class,
                        () -> acc.into(new double[N][N], counting, x, new double[N], new double[N]));
                assertTrue(captured.getMessage().contains("stepAcc(") && captured.getMessage().contains(
                        "writes and reads back f.captured0 (int[])"), mode.getKey() + ": " + captured.getMessage());
                DifferentiationException field = assertThrows(DifferentiationException.class,
                        () -> statics.into(new double[N][N], identity, x, new double[N]));
                assertTrue(field.getMessage().contains("writes and reads back lsj.Ls.LST (double[])"),
                        mode.getKey() + ": " + field.getMessage());
            }
        }
        assertArrayEquals(new int[] {0}, calls, "a refused call runs nothing");
    }
}
