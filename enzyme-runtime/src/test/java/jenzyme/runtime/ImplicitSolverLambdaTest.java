package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The everyday implicit solver taking its right-hand side as a lambda: {@code double[] solve(Rhs f, ...)}, backward
 * Euler whose Newton iterations build a 2x2 matrix I - h df/dz in a loop inside the time loop. Differentiated both as
 * the method you compile taking the lambda (compiled per lambda at the call, {@link LambdaDispatch}) and as a method
 * passing a capturing lambda to it; reverse, forward and {@code --width 2} against central differences of the JVM's
 * method, the primal equal to the JVM's. Before LambdaDispatch lowered forward derivatives for the forward sweep,
 * the entry taking the lambda was refused in forward mode ("mixed activity" on the matrix's row-length table).
 */
class ImplicitSolverLambdaTest {

    private static final String SOURCE = """
            package imp;
            public class Implicit {
                @FunctionalInterface
                public interface Rhs { void eval(double[] z, double[] p, double[] f, double[][] dfdz); }

                /** Backward Euler: each step solves z - y - h f(z) = 0 by Newton's method on I - h df/dz. */
                static double[] solve(Rhs f, double[] y0, double[] p, double h, int steps) {
                    double[] y = y0.clone();
                    for (int s = 0; s < steps; s++) {
                        double[] z = y.clone();
                        for (int k = 0; k < 4; k++) {
                            double[] fz = new double[2];
                            double[][] dfdz = new double[2][2];
                            f.eval(z, p, fz, dfdz);
                            double[][] J = {{1 - h * dfdz[0][0], -h * dfdz[0][1]},
                                            {-h * dfdz[1][0], 1 - h * dfdz[1][1]}};
                            double g0 = z[0] - y[0] - h * fz[0], g1 = z[1] - y[1] - h * fz[1];
                            double det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
                            z[0] -= (g0 * J[1][1] - J[0][1] * g1) / det;
                            z[1] -= (J[0][0] * g1 - J[1][0] * g0) / det;
                        }
                        y = z;
                    }
                    return y;
                }

                static void pendulum(double[] z, double[] p, double[] f, double[][] dfdz) {
                    f[0] = z[1];
                    f[1] = -p[0] * Math.sin(z[0]) - p[1] * z[1];
                    dfdz[0][1] = 1;
                    dfdz[1][0] = -p[0] * Math.cos(z[0]);
                    dfdz[1][1] = -p[1];
                }

                /** The method you compile takes the right-hand side. */
                public static double energy(Rhs f, double[] y0, double[] p, int steps) {
                    double[] y = solve(f, y0, p, 0.1, steps);
                    return 0.5 * y[1] * y[1] + p[0] * (1 - Math.cos(y[0]));
                }

                /** A capturing lambda passed to the solver (a forcing w, constant in the step). */
                public static double forced(double[] y0, double[] p, double w) {
                    double[] y = solve((z, q, f, dfdz) -> {
                        pendulum(z, q, f, dfdz);
                        f[1] += Math.sin(w);
                    }, y0, p, 0.05, 8);
                    return y[0] * y[0] + y[1];
                }

                public static Rhs byReference() { return Implicit::pendulum; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("imp.Implicit", SOURCE);
    }

    @Test
    void theMethodTakingTheLambdaInReverseForwardAndTwoLanes() throws Throwable {
        JavaMethod energy = new JavaMethod(classes, "imp/Implicit", "energy", "(Limp/Implicit$Rhs;[D[DI)D");
        Object f = classes.jvmHandle("imp.Implicit", "byReference").invoke();
        MethodHandle jvm = classes.jvmHandle("imp.Implicit", "energy");
        double[] y0 = {0.7, -0.3}, p = {2.5, 0.2};
        int steps = 6;
        double value = (double) jvm.invoke(f, y0, p, steps);
        double[] fdY = CentralDifferences.gradient(x -> (double) jvm.invoke(f, x, p, steps), y0);
        double[] fdP = CentralDifferences.gradient(x -> (double) jvm.invoke(f, y0, x, steps), p);
        try (Derivative reverse = pipeline.differentiate(energy, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(energy, Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT);
             BatchedForward lanes = new BatchedForward(pipeline.differentiate(energy, Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT, 2))) {
            double[] dy = new double[2], dp = new double[2], out = new double[reverse.convention().slots().size()];
            reverse.handle().invokeExact(f, y0.clone(), dy, p.clone(), dp, steps, out);
            assertEquals(value, out[reverse.convention().primalSlot()], 0, "reverse value");
            assertAgree(fdY, dy, "reverse d/dy0");
            assertAgree(fdP, dp, "reverse d/dp");
            double[] tangents = new double[4];
            for (int k = 0; k < 4; k++) {
                double[] ty = new double[2], tp = new double[2];
                if (k < 2) ty[k] = 1; else tp[k - 2] = 1;
                double[] slots = new double[forward.convention().slots().size()];
                forward.handle().invokeExact(f, y0.clone(), ty, p.clone(), tp, steps, slots);
                assertEquals(value, slots[0], 0, "forward value");
                tangents[k] = slots[forward.convention().returnTangentSlot()];
            }
            assertAgree(new double[] {fdY[0], fdY[1], fdP[0], fdP[1]}, tangents, "forward");
            double[][] ty = {{1, 0}, {0.5, -2}}, tp = {{0, 0}, {1, 3}};
            double[] dvalue = new double[2];
            assertEquals(value, lanes.into(dvalue, f, y0.clone(), ty, p.clone(), tp, steps), 0, "--width 2 value");
            for (int lane = 0; lane < 2; lane++) {
                double expected = ty[lane][0] * fdY[0] + ty[lane][1] * fdY[1] + tp[lane][0] * fdP[0]
                        + tp[lane][1] * fdP[1];
                assertEquals(expected, dvalue[lane], 1e-6 * (1 + Math.abs(expected)), "lane " + lane);
            }
        }
    }

    @Test
    void aMethodPassingACapturingLambdaInReverseAndForward() throws Throwable {
        JavaMethod forced = new JavaMethod(classes, "imp/Implicit", "forced", "([D[DD)D");
        MethodHandle jvm = classes.jvmHandle("imp.Implicit", "forced");
        double[] y0 = {0.4, 0.1}, p = {1.5, 0.3};
        double w = 0.8;
        double[] fdY = CentralDifferences.gradient(x -> (double) jvm.invoke(x, p, w), y0);
        double[] fdP = CentralDifferences.gradient(x -> (double) jvm.invoke(y0, x, w), p);
        double[] fdW = CentralDifferences.gradient(x -> (double) jvm.invoke(y0, p, x[0]), new double[] {w});
        try (NativeMethod primal = pipeline.jit(forced);
             Derivative reverse = pipeline.differentiate(forced, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(forced, Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT)) {
            double value = (double) jvm.invoke(y0, p, w);
            assertEquals(value, (double) primal.handle().invoke(y0.clone(), p.clone(), w), 0, "primal");
            double[] dy = new double[2], dp = new double[2], out = new double[reverse.convention().slots().size()];
            reverse.handle().invokeExact(y0.clone(), dy, p.clone(), dp, w, out);
            assertAgree(fdY, dy, "reverse d/dy0");
            assertAgree(fdP, dp, "reverse d/dp");
            assertAgree(fdW, new double[] {out[reverse.convention().adjointSlot(2)]}, "reverse d/dw");
            double[] expected = {fdY[0], fdY[1], fdP[0], fdP[1], fdW[0]};
            for (int k = 0; k < 5; k++) {
                double[] ty = new double[2], tp = new double[2];
                double tw = k == 4 ? 1 : 0;
                if (k < 2) ty[k] = 1; else if (k < 4) tp[k - 2] = 1;
                double[] slots = new double[forward.convention().slots().size()];
                forward.handle().invokeExact(y0.clone(), ty, p.clone(), tp, w, tw, slots);
                assertEquals(value, slots[0], 0, "forward value");
                assertAgree(new double[] {expected[k]}, new double[] {slots[forward.convention().returnTangentSlot()]},
                        "forward partial " + k);
            }
        }
    }

    private static void assertAgree(double[] fd, double[] got, String what) {
        for (int k = 0; k < fd.length; k++) {
            assertEquals(fd[k], got[k], 1e-6 * (1 + Math.abs(fd[k])), what + " [" + k + "]");
        }
    }
}
