package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Methods returning records that hold arrays they made, as an ODE state is written ({@code record State(double t,
 * double[] y)}, {@code s = step(s, h)} in a loop): the arrays are handed over like an array result, and a record
 * assigned in a loop to a variable declared before it is carried by value, array by array. Native primal against the
 * JVM, reverse and forward gradients against central differences, the caller's array left alone, flat memory.
 */
class RecordArrayResultsTest {

    private static final String SOURCE = """
            package ode;
            public class Steps {
                record State(double t, double[] y) {}
                record Tracked(State state, double[] peak) {}
                static double[] rhs(double t, double[] y, double[] p) {
                    return new double[] {p[0] * y[0] - p[1] * y[0] * y[1], p[1] * y[0] * y[1] - p[2] * y[1]};
                }
                static State step(State s, double h, double[] p) {
                    double[] k1 = rhs(s.t(), s.y(), p);
                    double[] mid = new double[s.y().length];
                    for (int i = 0; i < mid.length; i++) mid[i] = s.y()[i] + h / 2 * k1[i];
                    double[] k2 = rhs(s.t() + h / 2, mid, p);
                    double[] y = new double[s.y().length];
                    for (int i = 0; i < y.length; i++) y[i] = s.y()[i] + h * k2[i];
                    return new State(s.t() + h, y);
                }
                static Tracked track(Tracked tr, double h, double[] p) {
                    State next = step(tr.state(), h, p);
                    double[] peak = tr.peak().clone();
                    for (int i = 0; i < peak.length; i++) peak[i] = Math.max(peak[i], next.y()[i]);
                    return new Tracked(next, peak);
                }
                public static double solve(double[] p, double t1, int steps) {
                    State s = new State(0, new double[] {p[3], p[4]});
                    for (int i = 0; i < steps; i++) s = step(s, t1 / steps, p);
                    return s.y()[0] * s.y()[1] + s.t();
                }
                public static double peaks(double[] p, double t1, int steps) {
                    Tracked tr = new Tracked(new State(0, new double[] {p[3], p[4]}), new double[] {p[3], p[4]});
                    for (int i = 0; i < steps; i++) tr = track(tr, t1 / steps, p);
                    return tr.peak()[0] + tr.peak()[1] * tr.state().y()[0];
                }
                public static double accepted(double[] p, double t1, int steps) {
                    State s = new State(0, new double[] {p[3], p[4]});
                    for (int i = 0; i < steps; i++) {
                        State next = step(s, t1 / steps, p);
                        if (next.y()[0] < 10) s = next;
                    }
                    return s.y()[0] - s.y()[1] * s.t();
                }
                public static double inline(double[] p, double t1, int steps) {
                    State s = new State(0, new double[] {p[3], p[4]});
                    double h = t1 / steps;
                    for (int i = 0; i < steps; i++) {
                        double[] k = rhs(s.t(), s.y(), p);
                        double[] y = new double[2];
                        for (int j = 0; j < 2; j++) y[j] = s.y()[j] + h * k[j];
                        State next = new State(s.t() + h, y);
                        s = next;
                    }
                    return s.y()[0] * s.y()[1] + s.t();
                }
                public static double fromParameter(double[] y0, double[] p, double h, int steps) {
                    State s = new State(0, y0);
                    for (int i = 0; i < steps; i++) s = step(s, h, p);
                    return s.y()[0] + s.y()[1];
                }
                public static double outOfRange(double[] p, int steps) {
                    State s = new State(0, new double[] {p[3], p[4]});
                    for (int i = 0; i < steps; i++) s = step(s, 0.1, p);
                    return s.y()[steps];
                }
                record Normalised(double[] v) {
                    Normalised { v = v.clone(); }
                }
                public static double copiesInConstructor(double[] x) { return new Normalised(x).v()[0]; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("ode.Steps", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "ode/Steps", name, descriptor);
    }

    /**
     * A step returning a new state; nested records and a cloned array; a state kept only when accepted
     * ({@code s = next} of a local of the loop); {@code new State(t, y)} of an array made in the loop.
     */
    @Test
    void everyFormOfStateRecordGivesTheJvmsLossAndGradients() throws Throwable {
        for (String loss : new String[] {"solve", "peaks", "accepted", "inline"}) {
            OdeLossAgreement.check(pipeline, classes, "ode.Steps", loss, 30);
        }
    }

    /** {@code new State(0, y0)} shares y0 until the loop's first step, which gives s an array of its own. */
    @Test
    void aStateStartingOnTheCallersArrayLeavesItAlone() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("ode.Steps", "fromParameter");
        double[] p = {1.1, 0.4, 0.7};
        try (NativeMethod primal = pipeline.jit(method("fromParameter", "([D[DDI)D"));
             Derivative reverse = pipeline.differentiate(method("fromParameter", "([D[DDI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            for (int steps = 0; steps < 4; steps++) {
                double[] y0 = {0.9, 0.5};
                assertEquals((double) jvm.invoke(y0.clone(), p, 0.1, steps),
                        (double) primal.handle().invoke(y0, p, 0.1, steps), 0, steps + " steps");
                assertArrayEquals(new double[] {0.9, 0.5}, y0, 0, "y0 after " + steps + " steps");
                double[] dy0 = new double[2], dp = new double[3], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(y0, dy0, p, dp, 0.1, steps, out);
                assertArrayEquals(new double[] {0.9, 0.5}, y0, 0, "y0 after the gradient");
                int n = steps;
                double[] fd = CentralDifferences.gradient(y -> (double) jvm.invoke(y, p, 0.1, n), y0);
                for (int k = 0; k < 2; k++) {
                    assertEquals(fd[k], dy0[k], 1e-7 * (1 + Math.abs(fd[k])), "d/dy0" + k + " after " + n + " steps");
                }
            }
        }
    }

    @Test
    void aConstructorCopyingItsArrayIsRefusedInWords() {
        LoweringException e = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("copiesInConstructor", "([D)D")));
        assertTrue(e.getMessage().contains("a constructor of a record or object holding arrays (a constructor keeps "
                + "the arrays it is given, as on the JVM"), e.getMessage());
    }

    /**
     * 10^6 reverse gradients of a 2-step solve (6 arrays handed over per step) and 10^5 calls failing after their
     * steps: native memory stays flat ({@link OdeLossAgreement#memoryStaysFlat}).
     */
    @Test
    void aMillionGradientCallsKeepNativeMemoryFlat() throws Throwable {
        OdeLossAgreement.memoryStaysFlat(pipeline, classes, "ode/Steps", "solve", 2);
    }
}
