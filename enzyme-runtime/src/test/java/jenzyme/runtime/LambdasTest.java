package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lambdas and method references created in compiled code: the everyday ODE pattern (a solver taking a right-hand
 * side of a user {@code @FunctionalInterface}, called with a method reference and with a capturing lambda), the
 * java.util.function interfaces, {@code Math::sin}; native primal bit-equal to the JVM's, reverse and forward
 * gradients against central differences of the JVM's method; what is refused, in words.
 */
class LambdasTest {

    private static final String SOURCE = """
            package lam;
            import java.util.function.*;
            public class Ode {
                @FunctionalInterface
                public interface Rhs { void eval(double t, double[] y, double[] p, double[] dy); }

                static void lotkaVolterra(double t, double[] y, double[] p, double[] dy) {
                    dy[0] = p[0] * y[0] - p[1] * y[0] * y[1];
                    dy[1] = p[3] * y[0] * y[1] - p[2] * y[1];
                }

                /** Classic RK4 in place: y holds y(0) on entry and y(t1) on return. */
                static void solve(Rhs f, double[] y, double[] p, double t1, int steps) {
                    int n = y.length;
                    double h = t1 / steps;
                    double[] k1 = new double[n], k2 = new double[n], k3 = new double[n], k4 = new double[n];
                    double[] tmp = new double[n];
                    for (int s = 0; s < steps; s++) {
                        double t = s * h;
                        f.eval(t, y, p, k1);
                        for (int i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k1[i];
                        f.eval(t + 0.5 * h, tmp, p, k2);
                        for (int i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k2[i];
                        f.eval(t + 0.5 * h, tmp, p, k3);
                        for (int i = 0; i < n; i++) tmp[i] = y[i] + h * k3[i];
                        f.eval(t + h, tmp, p, k4);
                        for (int i = 0; i < n; i++) y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
                    }
                }

                public static double lossByReference(double[] y, double[] p, double t1) {
                    solve(Ode::lotkaVolterra, y, p, t1, 40);
                    return y[0] + y[1];
                }

                /** A capturing lambda (damping c) and a second target of the same solver. */
                public static double lossByLambda(double[] y, double[] p, double c) {
                    solve((t, u, q, du) -> { du[0] = u[1]; du[1] = -q[0] * u[0] - c * u[1]; }, y, p, 2.0, 50);
                    solve(Ode::lotkaVolterra, y, p, 0.5, 10);
                    return y[0] * y[0] + y[1];
                }

                static double integrate(DoubleUnaryOperator g, double a, double b, int n) {
                    double h = (b - a) / n, s = 0.5 * (g.applyAsDouble(a) + g.applyAsDouble(b));
                    for (int i = 1; i < n; i++) s += g.applyAsDouble(a + i * h);
                    return s * h;
                }

                public static double area(double k, double w) {
                    DoubleBinaryOperator bump = (x, s) -> Math.exp(-s * x * x);
                    return integrate(x -> k * bump.applyAsDouble(x, w), -1, 1, 64) + integrate(Math::sin, 0, k, 16);
                }

                /** The method you compile takes the right-hand side: compiled per lambda at the call. */
                public static double endSum(Rhs f, double[] y, double[] p, double t1) {
                    solve(f, y, p, t1, 40);
                    return y[0] + y[1];
                }
                public static double[] trajectoryEnd(Rhs f, double[] y0, double[] p, double t1) {
                    double[] y = y0.clone();
                    solve(f, y, p, t1, 40);
                    return y;
                }
                public static Rhs lv() { return Ode::lotkaVolterra; }
                public static Rhs damped(double c) { return Models.damped(c); }
                public static final class Model {
                    private final double scale;
                    Model(double scale) { this.scale = scale; }
                    void rhs(double t, double[] y, double[] p, double[] dy) {
                        dy[0] = scale * p[0] * y[0] - p[1] * y[0] * y[1];
                        dy[1] = p[3] * y[0] * y[1] - p[2] * y[1];
                    }
                    Rhs self() { return this::rhs; }
                }
                public static Rhs model(double scale) { return new Model(scale).self(); }
                static final class Models {
                    static Rhs damped(double c) {
                        return (t, u, q, du) -> { du[0] = u[1]; du[1] = -q[0] * u[0] - c * u[1]; };
                    }
                }

                public static double foreign(double x) {
                    return integrate(Double::valueOf, 0, x, 4);
                }
                public static double composed(double x) {
                    DoubleUnaryOperator g = v -> v * v;
                    return g.andThen(v -> v + 1).applyAsDouble(x);
                }
                public static double generic(double[] a) {
                    ToDoubleFunction<double[]> g = v -> v[0] * v[1];
                    return g.applyAsDouble(a);
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("lam.Ode", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "lam/Ode", name, descriptor);
    }

    private static double jvm(String name, double[] y, double[] p, double a) throws Throwable {
        return (double) classes.jvmHandle("lam.Ode", name).invoke(y.clone(), p, a);
    }

    @Test
    void solverWithAMethodReferenceAndACapturingLambdaMatchesTheJvmBitForBit() throws Throwable {
        Random random = new Random(5);
        for (String name : new String[] {"lossByReference", "lossByLambda"}) {
            try (NativeMethod f = pipeline.jit(method(name, "([D[DD)D"))) {
                MethodHandle h = f.handle();
                for (int trial = 0; trial < 20; trial++) {
                    double[] y = {0.5 + random.nextDouble(), 0.5 + random.nextDouble()};
                    double[] p = {1 + random.nextDouble(), 0.5 + random.nextDouble(), 1 + random.nextDouble(),
                            0.5 + random.nextDouble()};
                    double a = 0.3 + random.nextDouble();
                    double expected = jvm(name, y, p, a);
                    assertEquals(expected, (double) h.invokeExact(y.clone(), p, a), 0.0, name);
                }
            }
        }
    }

    @Test
    void reverseAndForwardGradientsThroughTheSolverMatchCentralDifferences() throws Throwable {
        double[] y = {1.1, 0.8};
        double[] p = {1.3, 0.7, 1.1, 0.6};
        double a = 0.9;
        for (String name : new String[] {"lossByReference", "lossByLambda"}) {
            double[] fd = new double[7]; // d/dy0, d/dy1, d/dp0..3, d/da
            for (int k = 0; k < 7; k++) {
                double[] yu = y.clone(), yd = y.clone(), pu = p.clone(), pd = p.clone();
                double au = a, ad = a, e = 1e-6;
                if (k < 2) { yu[k] += e; yd[k] -= e; } else if (k < 6) { pu[k - 2] += e; pd[k - 2] -= e; } else { au += e; ad -= e; }
                fd[k] = (jvm(name, yu, pu, au) - jvm(name, yd, pd, ad)) / (2 * e);
            }
            try (Derivative d = pipeline.differentiate(method(name, "([D[DD)D"), Mode.REVERSE, Map.of(),
                    DifferentiationOptions.DEFAULT)) {
                double[] dy = new double[2], dp = new double[4];
                double[] out = new double[d.convention().slots().size()];
                d.handle().invokeExact(y.clone(), dy, p, dp, a, out);
                assertEquals(jvm(name, y, p, a), out[d.convention().primalSlot()], 0.0, name);
                for (int k = 0; k < 7; k++) {
                    double got = k < 2 ? dy[k] : k < 6 ? dp[k - 2] : out[d.convention().adjointSlot(2)];
                    assertEquals(fd[k], got, 1e-6 * (1 + Math.abs(fd[k])), name + " reverse, partial " + k);
                }
            }
            try (Derivative d = pipeline.differentiate(method(name, "([D[DD)D"), Mode.FORWARD, Map.of(),
                    DifferentiationOptions.DEFAULT)) {
                for (int k = 0; k < 7; k++) {
                    double[] ty = new double[2], tp = new double[4];
                    double ta = 0;
                    if (k < 2) ty[k] = 1; else if (k < 6) tp[k - 2] = 1; else ta = 1;
                    double[] out = new double[d.convention().slots().size()];
                    d.handle().invokeExact(y.clone(), ty, p, tp, a, ta, out);
                    assertEquals(fd[k], out[d.convention().returnTangentSlot()], 1e-6 * (1 + Math.abs(fd[k])),
                            name + " forward, partial " + k);
                }
            }
        }
    }

    @Test
    void javaUtilFunctionLambdasCapturingLambdasAndMathMethodReferences() throws Throwable {
        MethodHandle area = classes.jvmHandle("lam.Ode", "area");
        try (NativeMethod f = pipeline.jit(method("area", "(DD)D"));
                Derivative d = pipeline.differentiate(method("area", "(DD)D"), Mode.REVERSE, Map.of(),
                        DifferentiationOptions.DEFAULT)) {
            double k = 1.7, w = 0.8, e = 1e-6;
            assertEquals((double) area.invoke(k, w), (double) f.handle().invokeExact(k, w), 0.0);
            double[] out = new double[d.convention().slots().size()];
            d.handle().invokeExact(k, w, out);
            double dk = ((double) area.invoke(k + e, w) - (double) area.invoke(k - e, w)) / (2 * e);
            double dw = ((double) area.invoke(k, w + e) - (double) area.invoke(k, w - e)) / (2 * e);
            assertEquals(dk, out[d.convention().adjointSlot(0)], 1e-7 * (1 + Math.abs(dk)));
            assertEquals(dw, out[d.convention().adjointSlot(1)], 1e-7 * (1 + Math.abs(dw)));
        }
    }

    private static Object rhs(String factory, Object... args) throws Throwable {
        return classes.jvmHandle("lam.Ode", factory).invokeWithArguments(args);
    }

    @Test
    void aLambdaParameterIsCompiledPerTargetAtTheCallWithItsCapturesAsConstants() throws Throwable {
        double[] y = {1.1, 0.8};
        double[] p = {1.3, 0.7, 1.1, 0.6};
        double t1 = 0.9, e = 1e-6;
        MethodHandle jvm = classes.jvmHandle("lam.Ode", "endSum");
        try (Derivative d = pipeline.differentiate(method("endSum", "(Llam/Ode$Rhs;[D[DD)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            assertEquals(d.convention().handleType().insertParameterTypes(0, Object.class), d.handle().type());
            for (Object f : new Object[] {rhs("lv"), rhs("damped", 0.3), rhs("damped", 0.7), rhs("lv"),
                    rhs("model", 1.5), rhs("model", 0.5)}) { // this::rhs of a final class captures the object
                double[] dy = new double[2], dp = new double[4];
                double[] out = new double[d.convention().slots().size()];
                d.handle().invokeExact(f, y.clone(), dy, p, dp, t1, out);
                assertEquals((double) jvm.invoke(f, y.clone(), p, t1), out[d.convention().primalSlot()], 0.0);
                for (int k = 0; k < 4; k++) {
                    double[] pu = p.clone(), pd = p.clone();
                    pu[k] += e;
                    pd[k] -= e;
                    double fd = ((double) jvm.invoke(f, y.clone(), pu, t1) - (double) jvm.invoke(f, y.clone(), pd, t1))
                            / (2 * e);
                    assertEquals(fd, dp[k], 1e-6 * (1 + Math.abs(fd)), "d/dp" + k);
                }
                double fd = ((double) jvm.invoke(f, y.clone(), p, t1 + e) - (double) jvm.invoke(f, y.clone(), p, t1 - e))
                        / (2 * e);
                assertEquals(fd, out[d.convention().adjointSlot(2)], 1e-6 * (1 + Math.abs(fd)), "d/dt1");
            }
            Object foreign = (Object) (java.util.function.DoubleUnaryOperator) x -> x;
            RuntimeException refused = assertThrows(RuntimeException.class, () -> {
                d.handle().invokeExact(foreign, y.clone(), new double[2], p, new double[4], t1,
                        new double[d.convention().slots().size()]);
            });
            assertTrue(refused.getMessage().contains("as f (it is not notebook code"), refused.getMessage());
        }
    }

    @Test
    void theOdeSolutionAsAVectorFunctionInForwardAndReverseMode() throws Throwable {
        double[] y0 = {1.1, 0.8};
        double[] p = {1.3, 0.7, 1.1, 0.6};
        double t1 = 0.9, e = 1e-6;
        Object f = rhs("damped", 0.4);
        MethodHandle jvm = classes.jvmHandle("lam.Ode", "trajectoryEnd");
        JavaMethod solve = method("trajectoryEnd", "(Llam/Ode$Rhs;[D[DD)[D");
        double[] tp = {0.3, -0.2, 0.5, 0.1};
        double[] pu = p.clone(), pd = p.clone();
        for (int k = 0; k < 4; k++) {
            pu[k] += e * tp[k];
            pd[k] -= e * tp[k];
        }
        double[] up = (double[]) jvm.invoke(f, y0, pu, t1), down = (double[]) jvm.invoke(f, y0, pd, t1);
        try (Derivative d = pipeline.differentiate(solve, Mode.FORWARD, Map.of("y0", jenzyme.runtime.ad.Activity.CONST,
                "t1", jenzyme.runtime.ad.Activity.CONST), DifferentiationOptions.DEFAULT)) {
            double[] y = new double[2], ty = new double[2];
            d.handle().invokeExact(f, y0, p, tp, t1, y, ty, new double[d.convention().slots().size()]);
            assertEquals(java.util.Arrays.toString((double[]) jvm.invoke(f, y0, p, t1)), java.util.Arrays.toString(y));
            for (int i = 0; i < 2; i++) {
                double fd = (up[i] - down[i]) / (2 * e);
                assertEquals(fd, ty[i], 1e-6 * (1 + Math.abs(fd)), "JVP component " + i);
            }
        }
        try (Derivative d = pipeline.differentiate(solve, Mode.REVERSE, Map.of("y0", jenzyme.runtime.ad.Activity.CONST,
                "t1", jenzyme.runtime.ad.Activity.CONST), DifferentiationOptions.DEFAULT)) {
            double[] ybar = {0.7, -1.3}, dp = new double[4];
            d.handle().invokeExact(f, y0, p, dp, t1, new double[2], ybar.clone(),
                    new double[d.convention().slots().size()]);
            double vjpDotTp = 0, fd = 0;
            for (int k = 0; k < 4; k++) {
                vjpDotTp += dp[k] * tp[k];
            }
            for (int i = 0; i < 2; i++) {
                fd += ybar[i] * (up[i] - down[i]) / (2 * e);
            }
            assertEquals(fd, vjpDotTp, 1e-6 * (1 + Math.abs(fd)), "ybar . J tp");
        }
    }

    @Test
    void aBoundMethodReferenceOfAnObjectIsRefusedInWordsWithoutJdkFrames() {
        // QA R8: sc::g captures the object sc; the refusal came out of Optional.orElseThrow
        StringBuilder object = new StringBuilder("x");
        java.util.function.DoubleUnaryOperator bound = x -> x * object.length();
        LoweringException refused = assertThrows(LoweringException.class,
                () -> jenzyme.runtime.lower.EntryLambda.of(0, "f", bound, classes));
        assertTrue(refused.getMessage().contains("a lambda or bound method reference (obj::method) capturing a"
                + " StringBuilder as f"), refused.getMessage());
        assertTrue(java.util.Arrays.stream(refused.getStackTrace())
                .noneMatch(frame -> frame.getClassName().equals("java.util.Optional")),
                java.util.Arrays.toString(refused.getStackTrace()));
    }

    @Test
    void lambdasOutsideTheSubsetAreRefusedInWords() throws Throwable {
        assertRefused("foreign", "the method reference Double.valueOf(double) as a java.util.function.DoubleUnaryOperator whose types differ");
        assertRefused("composed", "DoubleUnaryOperator.andThen(java.util.function.DoubleUnaryOperator) on a lambda");
        assertEquals(java.util.List.of(), pipeline.explain(method("lossByLambda", "([D[DD)D")), "--explain: compiles");
        try (NativeMethod generic = pipeline.jit(method("generic", "([D)D"))) {
            assertEquals(6.0, (double) generic.handle().invokeExact(new double[] {2, 3}), 0.0);
        }
    }

    private static void assertRefused(String name, String expected) {
        LoweringException refused = assertThrows(LoweringException.class, () -> pipeline.jit(method(name, "(D)D")));
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }
}
