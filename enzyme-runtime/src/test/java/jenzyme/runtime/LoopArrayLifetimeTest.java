package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Arrays made inside a loop body as a notebook writes them once cells are compiled with -g (QA6 R1): a callee's
 * returned array and a {@code new double[]{...}} in the same iteration, copied back with System.arraycopy into a
 * clone of the parameter. The reverse derivative of {@code decay} crashed the JVM (SIGSEGV) before the callee's
 * result stopped being a phi of null and the copy ({@link jenzyme.runtime.lower} ArrayHandOver). Checked against
 * the JVM and central differences on random inputs. The solver of docs/JAVA-SUBSET.md (an RK4 step whose stage
 * arrays are written in loops and passed to a callee, called in a loop) had garbage reverse-mode Jacobian entries
 * (1e242) while the stage arrays' shadows were left unzeroed (IrModule.zeroedAllocation); its Jacobian in the default,
 * dense forward and reverse modes against central differences.
 */
class LoopArrayLifetimeTest {

    private static final String SOURCE = """
            package lifetime;
            public class Steps {
                static double[] rate(double[] y, double k) { return new double[]{ -k * y[0], k * y[0] - y[1] }; }
                public static double decay(double[] y0, double k, int n) {
                    double[] y = y0.clone();
                    double h = 0.01;
                    for (int i = 0; i < n; i++) {
                        double[] dy = rate(y, k);
                        double[] next = new double[]{ y[0] + h * dy[0], y[1] + h * dy[1] };
                        System.arraycopy(next, 0, y, 0, 2);
                    }
                    return y[1];
                }
                static double[] lotkaVolterra(double t, double[] y, double[] p) {
                    return new double[] { p[0] * y[0] - p[1] * y[0] * y[1], p[2] * y[0] * y[1] - p[3] * y[1] };
                }
                static double[] rk4Step(double t, double[] y, double h, double[] p) {
                    double[] k1 = lotkaVolterra(t, y, p);
                    double[] y2 = new double[y.length]; for (int i = 0; i < y.length; i++) y2[i] = y[i] + h / 2 * k1[i];
                    double[] k2 = lotkaVolterra(t + h / 2, y2, p);
                    double[] y3 = new double[y.length]; for (int i = 0; i < y.length; i++) y3[i] = y[i] + h / 2 * k2[i];
                    double[] k3 = lotkaVolterra(t + h / 2, y3, p);
                    double[] y4 = new double[y.length]; for (int i = 0; i < y.length; i++) y4[i] = y[i] + h * k3[i];
                    double[] k4 = lotkaVolterra(t + h, y4, p);
                    double[] out = new double[y.length];
                    for (int i = 0; i < y.length; i++) out[i] = y[i] + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
                    return out;
                }
                /** docs/JAVA-SUBSET.md's solver. */
                public static double[] solve(double[] y0, double[] p, double t1, int steps) {
                    double[] y = y0.clone();
                    for (int i = 0; i < steps; i++) {
                        double[] next = rk4Step(i * t1 / steps, y, t1 / steps, p);
                        System.arraycopy(next, 0, y, 0, y.length);
                    }
                    return y;
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("lifetime.Steps", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "lifetime/Steps", name, descriptor);
    }

    @Test
    void aCalleesArrayAndANewArrayInOneIterationInEveryMode() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("lifetime.Steps", "decay");
        Random random = new Random(6);
        try (NativeMethod primal = pipeline.jit(method("decay", "([DDI)D"));
             Derivative reverse = pipeline.differentiate(method("decay", "([DDI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("decay", "([DDI)D"), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            for (int trial = 0; trial < 5; trial++) {
                double[] y0 = {0.5 + random.nextDouble(), random.nextDouble()};
                double k = 0.2 + random.nextDouble();
                int n = 1 + random.nextInt(60);
                assertEquals((double) jvm.invoke(y0, k, n), (double) primal.handle().invokeExact(y0, k, n), 0);
                double[] dy0 = new double[2], out = new double[reverse.convention().slots().size()];
                reverse.handle().invokeExact(y0, dy0, k, n, out);
                double[] tangent = new double[forward.convention().slots().size()];
                for (int j = 0; j < 3; j++) { // y0[0], y0[1], k
                    double[] up = y0.clone(), down = y0.clone();
                    double kUp = k, kDown = k;
                    if (j < 2) {
                        up[j] += 1e-6;
                        down[j] -= 1e-6;
                    } else {
                        kUp += 1e-6;
                        kDown -= 1e-6;
                    }
                    double fd = ((double) jvm.invoke(up, kUp, n) - (double) jvm.invoke(down, kDown, n)) / 2e-6;
                    double adjoint = j < 2 ? dy0[j] : out[reverse.convention().adjointSlot(1)];
                    assertEquals(fd, adjoint, 1e-7 * (1 + Math.abs(fd)), "reverse, input " + j);
                    double[] direction = new double[2];
                    double dk = 0;
                    if (j < 2) {
                        direction[j] = 1;
                    } else {
                        dk = 1;
                    }
                    forward.handle().invokeExact(y0, direction, k, dk, n, tangent);
                    assertEquals(fd, tangent[forward.convention().returnTangentSlot()], 1e-7 * (1 + Math.abs(fd)),
                            "forward, input " + j);
                }
            }
        }
    }

    @Test
    void theSubsetDocsSolverHasTheJacobianOfCentralDifferencesInEveryMode() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("lifetime.Steps", "solve");
        double[] y0 = {1, 0.5}, p = {1.0, 0.5, 0.2, 0.6};
        for (JacobianOptions options : new JacobianOptions[] {JacobianOptions.DEFAULT,
                JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withDense(true),
                JacobianOptions.DEFAULT.withMode(Mode.REVERSE)}) {
            try (Jacobian jacobian = pipeline.jacobian(method("solve", "([D[DDI)[D"), options)) {
                double[][] j = new double[2][2];
                jacobian.into(j, y0, p, 2.0, 50);
                for (int k = 0; k < 2; k++) {
                    double[] up = y0.clone(), down = y0.clone();
                    up[k] += 1e-6;
                    down[k] -= 1e-6;
                    double[] a = (double[]) jvm.invoke(up, p, 2.0, 50), b = (double[]) jvm.invoke(down, p, 2.0, 50);
                    for (int i = 0; i < 2; i++) {
                        double fd = (a[i] - b[i]) / 2e-6;
                        assertEquals(fd, j[i][k], 1e-6 * (1 + Math.abs(fd)), options + " dy" + i + "/dy0" + k);
                    }
                }
            }
        }
    }
}
