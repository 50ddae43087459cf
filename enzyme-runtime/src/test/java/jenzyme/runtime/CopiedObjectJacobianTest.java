package jenzyme.runtime;

import static jenzyme.runtime.testing.VectorFunctions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Constructor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.JacobianModes;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Jacobians of methods that write the fields of an object from the JVM (a particle: {@code final double[] pos, vel;
 * double t, drag; long steps}), at the runtime's evaluator, which takes the object as its leaves (lower.ObjectLayout):
 * every sweep starts from the fields at entry, so the Jacobian is the one at the call's state, and after the call the
 * leaves hold what one JVM call leaves in the object, bit for bit, also when it throws. Each Jacobian against an
 * analytic one (the tangent recurrence of the integrator written out) and central differences of the JVM's method on
 * fresh objects, and every mode (forward in 1, 3 and 8 lanes, reverse, both) against the others.
 */
class CopiedObjectJacobianTest {

    private static final String SOURCE = """
            package cjac;
            public class Cj {
                public static final class Particle {
                    public final double[] pos, vel;
                    public double t, drag;
                    public long steps;
                    public Particle(double[] pos, double[] vel, double t, double drag, long steps) {
                        this.pos = pos; this.vel = vel; this.t = t; this.drag = drag; this.steps = steps;
                    }
                }
                static void step(Particle p, double[] k, double h) {
                    for (int i = 0; i < p.pos.length; i++) {
                        p.vel[i] -= h * (k[i] * p.pos[i] + p.drag * p.vel[i]);
                        p.pos[i] += h * p.vel[i];
                    }
                    p.t += h;
                    p.drag *= 0.5;
                    p.steps++;
                    if (p.pos[0] > 5) throw new IllegalStateException("escaped");
                }
                public static double[] push(Particle p, double[] k, double h) {
                    for (int s = 0; s < 3; s++) step(p, k, h);
                    double[] y = new double[p.pos.length + 1];
                    for (int i = 0; i < p.pos.length; i++) y[i] = p.pos[i] * p.t + k[i] * p.vel[i];
                    y[p.pos.length] = p.t * p.drag;
                    return y;
                }
                public static void advance(Particle p, double[] k, double h) {
                    for (int s = 0; s < 3; s++) step(p, k, h);
                }
            }
            """;
    private static final int N = 4;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static MethodHandle push;
    private static MethodHandle advance;
    private static Constructor<?> particle;

    /** The particle's state; {@link #leaves} are how the evaluator takes it: {t, drag}, {steps}, pos, vel. */
    private record State(double[] pos, double[] vel, double t, double drag, long steps) {
        static State random(Random random) {
            return new State(random.doubles(N, -1, 1).toArray(), random.doubles(N, -1, 1).toArray(),
                    random.nextDouble(0, 2), random.nextDouble(0, 1), random.nextLong(1L << 53, 1L << 60));
        }

        Object[] leaves() {
            return new Object[] {new double[] {t, drag}, new long[] {steps}, pos.clone(), vel.clone()};
        }

        Object onJvm() throws Exception {
            return particle.newInstance(pos.clone(), vel.clone(), t, drag, steps);
        }

        static State of(Object jvm) throws Exception {
            Class<?> c = jvm.getClass();
            return new State((double[]) c.getField("pos").get(jvm), (double[]) c.getField("vel").get(jvm),
                    c.getField("t").getDouble(jvm), c.getField("drag").getDouble(jvm),
                    c.getField("steps").getLong(jvm));
        }

        static State ofLeaves(Object[] leaves) {
            double[] numbers = (double[]) leaves[0];
            return new State((double[]) leaves[2], (double[]) leaves[3], numbers[0], numbers[1],
                    ((long[]) leaves[1])[0]);
        }

        void assertSame(State expected, String what) {
            assertArrayEquals(expected.pos, pos, 0, what + ": pos");
            assertArrayEquals(expected.vel, vel, 0, what + ": vel");
            assertEquals(expected.t, t, 0, what + ": t");
            assertEquals(expected.drag, drag, 0, what + ": drag");
            assertEquals(expected.steps, steps, what + ": steps");
        }
    }

    @BeforeAll
    static void start() throws Exception {
        classes = InMemoryJavac.compile("cjac.Cj", SOURCE);
        push = classes.jvmHandle("cjac.Cj", "push");
        advance = classes.jvmHandle("cjac.Cj", "advance");
        particle = push.type().parameterType(0).getConstructor(double[].class, double[].class, double.class,
                double.class, long.class);
    }

    private static Jacobian jacobian(String method, JacobianOptions options) {
        String descriptor = method.equals("push") ? "(Lcjac/Cj$Particle;[DD)[D" : "(Lcjac/Cj$Particle;[DD)V";
        return pipeline.jacobian(new JavaMethod(classes, "cjac/Cj", method, descriptor), options);
    }


    @Test
    void theJacobianInKIsTheAnalyticOneInEveryModeAndTheObjectHoldsWhatOneJvmCallLeaves() throws Throwable {
        Map<String, double[][]> byMode = new LinkedHashMap<>();
        for (Map.Entry<String, JacobianOptions> mode : JacobianModes.all().entrySet()) {
            Random random = new Random(5); // the same particles in every mode
            try (Jacobian jacobian = jacobian("push", mode.getValue())) {
                assertEquals("k", jacobian.shape().inputParameter().name(), "x by default: the double[] parameter");
                for (int trial = 0; trial < 12; trial++) {
                    State state = State.random(random);
                    double[] k = random.doubles(N, 0.5, 3).toArray();
                    double h = random.nextDouble(0.05, 0.3);
                    Object[] leaves = state.leaves();
                    double[][] j = new double[N + 1][N];
                    jacobian.into(j, leaves[0], leaves[1], leaves[2], leaves[3], k, h);
                    String what = mode.getKey() + ", trial " + trial;
                    assertOneJvmCall(push, state, k, h, leaves, what);
                    assertClose(analyticInK(state, k, h), j, 1e-13, what + " vs analytic");
                    assertClose(centralDifferences(kk -> output(push, state, kk, h), k, N + 1), j, 1e-7,
                            what + " vs central differences");
                    if (trial == 0) {
                        byMode.put(mode.getKey(), j);
                    }
                }
            }
        }
        byMode.forEach((mode, j) -> assertClose(byMode.get("reverse"), j, 1e-14, mode + " vs reverse"));
    }

    @Test
    void theObjectsFieldsAreTheColumnsOrTheRowsWhenNamed() throws Throwable {
        Random random = new Random(9);
        State state = State.random(random);
        double[] k = random.doubles(N, 0.5, 3).toArray();
        double h = 0.2;
        for (Mode mode : java.util.List.of(Mode.FORWARD, Mode.REVERSE)) {
            String what = mode + ": ";
            JacobianOptions options = JacobianOptions.DEFAULT.withMode(mode);
            // --wrt p.vel: the columns are the velocities at entry
            try (Jacobian jacobian = jacobian("push", options.withWrt("p.vel"))) {
                double[][] j = new double[N + 1][N];
                Object[] leaves = state.leaves();
                jacobian.into(j, leaves[0], leaves[1], leaves[2], leaves[3], k, h);
                assertClose(centralDifferences(v -> output(push, withVel(state, v), k, h), state.vel, N + 1), j,
                        1e-7, what + "--wrt p.vel");
                assertOneJvmCall(push, state, k, h, leaves, what + "--wrt p.vel");
            }
            // --wrt p: the columns are the number fields at entry, t and drag
            try (Jacobian jacobian = jacobian("push", options.withWrt("p"))) {
                double[][] j = new double[N + 1][2];
                Object[] leaves = state.leaves();
                jacobian.into(j, leaves[0], leaves[1], leaves[2], leaves[3], k, h);
                assertClose(centralDifferences(f -> output(push, withNumbers(state, f), k, h),
                        new double[] {state.t, state.drag}, N + 1), j, 1e-7, what + "--wrt p");
                assertOneJvmCall(push, state, k, h, leaves, what + "--wrt p");
            }
            // --out p.pos of void advance: the rows are the positions at exit, x is k by default
            try (Jacobian jacobian = jacobian("advance", options.withOut("p.pos"))) {
                double[][] j = new double[N][N];
                Object[] leaves = state.leaves();
                jacobian.into(j, leaves[0], leaves[1], leaves[2], leaves[3], k, h);
                assertClose(centralDifferences(kk -> positions(state, kk, h), k, N), j, 1e-7, what + "--out p.pos");
                assertOneJvmCall(advance, state, k, h, leaves, what + "--out p.pos");
            }
            // --wrt p.vel --out p.pos: the state map from velocities at entry to positions at exit
            try (Jacobian jacobian = jacobian("advance", options.withWrt("p.vel").withOut("p.pos"))) {
                double[][] j = new double[N][N];
                Object[] leaves = state.leaves();
                jacobian.into(j, leaves[0], leaves[1], leaves[2], leaves[3], k, h);
                assertClose(centralDifferences(v -> positions(withVel(state, v), k, h), state.vel, N), j, 1e-7,
                        what + "--wrt p.vel --out p.pos");
                assertOneJvmCall(advance, state, k, h, leaves, what + "--wrt p.vel --out p.pos");
            }
        }
    }

    @Test
    void aThrowingCallLeavesTheObjectAsTheJvmDoesInEveryMode() throws Throwable {
        State state = new State(new double[] {3.5, 0.1, -0.2, 0.3}, new double[] {4, 0, 0, 0}, 0.5, 0.1, 7);
        double[] k = {0.1, 1, 1, 1};
        double h = 0.25;
        Object onJvm = state.onJvm();
        IllegalStateException jvm = assertThrows(IllegalStateException.class, () -> push.invoke(onJvm, k.clone(), h));
        assertEquals(state.steps + 2, State.of(onJvm).steps, "the JVM's call throws in the second step");
        for (Map.Entry<String, JacobianOptions> mode : JacobianModes.all().entrySet()) {
            try (Jacobian jacobian = jacobian("push", mode.getValue())) {
                Object[] leaves = state.leaves();
                IllegalStateException thrown = assertThrows(IllegalStateException.class,
                        () -> jacobian.into(new double[N + 1][N], leaves[0], leaves[1], leaves[2], leaves[3], k, h));
                assertEquals(jvm.getMessage(), thrown.getMessage(), mode.getKey());
                State.ofLeaves(leaves).assertSame(State.of(onJvm), mode.getKey() + ", fields after the throw");
            }
        }
    }

    @Test
    void theObjectsLeavesAreNeverXOrYByDefault() {
        DifferentiationException refused = assertThrows(DifferentiationException.class,
                () -> jacobian("advance", JacobianOptions.DEFAULT));
        assertTrue(refused.getMessage().contains("to return double[] or to fill a double[] parameter")
                && refused.getMessage().contains("the fields of p, a cjac.Cj$Particle from the JVM, are x or y only"
                + " when named: --out p for its number fields, --out p.<field> for an array field"),
                refused.getMessage());
    }

    /** d push / d k: the tangent recurrence of the three steps, coordinate by coordinate (y_i depends on k_i only). */
    private static double[][] analyticInK(State s, double[] k, double h) {
        double[][] j = new double[N + 1][N];
        for (int i = 0; i < N; i++) {
            double p = s.pos[i], v = s.vel[i], dp = 0, dv = 0, drag = s.drag, t = s.t;
            for (int step = 0; step < 3; step++) {
                dv -= h * (p + k[i] * dp + drag * dv);
                v -= h * (k[i] * p + drag * v);
                dp += h * dv;
                p += h * v;
                t += h;
                drag *= 0.5;
            }
            j[i][i] = dp * t + v + k[i] * dv;
        }
        return j;
    }

    /** The leaves after a Jacobian's call hold, bit for bit, what one call of {@code jvm} leaves in the object. */
    private static void assertOneJvmCall(MethodHandle jvm, State entry, double[] k, double h, Object[] leaves,
                                         String what) throws Throwable {
        Object onJvm = entry.onJvm();
        jvm.invoke(onJvm, k.clone(), h);
        State.ofLeaves(leaves).assertSame(State.of(onJvm), what + ", fields after the call");
    }

    private static State withVel(State s, double[] vel) {
        return new State(s.pos, vel, s.t, s.drag, s.steps);
    }

    private static State withNumbers(State s, double[] numbers) {
        return new State(s.pos, s.vel, numbers[0], numbers[1], s.steps);
    }

    /** push on the JVM, on a fresh particle of {@code state}. */
    private static double[] output(MethodHandle jvm, State state, double[] k, double h) {
        try {
            return (double[]) jvm.invoke(state.onJvm(), k.clone(), h);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** advance on the JVM, on a fresh particle of {@code state}: its positions at exit. */
    private static double[] positions(State state, double[] k, double h) {
        try {
            Object p = state.onJvm();
            advance.invoke(p, k.clone(), h);
            return State.of(p).pos;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Central differences of {@code f} at {@code x} (left unchanged), m outputs. */
    private static double[][] centralDifferences(UnaryOperator<double[]> f, double[] x, int m) {
        double[][] fd = new double[m][x.length];
        for (int c = 0; c < x.length; c++) {
            double[] up = x.clone(), down = x.clone();
            double step = 1e-6 * Math.max(1, Math.abs(x[c]));
            up[c] += step;
            down[c] -= step;
            double[] plus = f.apply(up), minus = f.apply(down);
            for (int r = 0; r < m; r++) {
                fd[r][c] = (plus[r] - minus[r]) / (2 * step);
            }
        }
        return fd;
    }
}
