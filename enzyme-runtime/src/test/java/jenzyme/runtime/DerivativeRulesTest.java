package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.lower.DerivativeRule;
import jenzyme.runtime.lower.MethodRef;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.hipparchus.special.Erf;
import org.hipparchus.special.Gamma;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Custom derivative rules through Enzyme's registration, for a compiled method and for a JVM method called back
 * through an FFM upcall (Hipparchus {@code Erf.erf}): the rule is really used (a deliberately wrong rule changes the
 * gradient by exactly its error), a correct rule agrees with central differences in reverse, forward and batched
 * forward mode, rule methods call library methods without rules of their own (Gamma.digamma in logGamma's rule), and
 * failures inside rules or the JVM method reach the caller as the JVM's exceptions.
 */
class DerivativeRulesTest {

    private static final String SOURCE = """
            package dr;
            public class Dr {
                /** erf by its Taylor series: compiled, so Enzyme could differentiate it without a rule. */
                public static double myerf(double x) {
                    double s = 0, term = x;
                    for (int n = 0; n < 60; n++) { s += term / (2 * n + 1); term *= -x * x / (n + 1); }
                    return 2 / Math.sqrt(Math.PI) * s;
                }
                public static double erfFwd(double x, double dx) { return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * dx; }
                public static double erfRev(double x, double dy) { return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * dy; }
                public static double wrongFwd(double x, double dx) { return 3 * dx; }
                public static double wrongRev(double x, double dy) { return 3 * dy; }
                public static double loss(double[] p) {
                    double s = 0;
                    for (int i = 0; i < p.length; i++) s += myerf(p[i]) * p[i];
                    return s;
                }
                public static double lossJvm(double[] p) {
                    double s = 0;
                    for (int i = 0; i < p.length; i++) s += org.hipparchus.special.Erf.erf(p[i]) * p[i];
                    return s;
                }
                public static double lossGamma(double[] p) {
                    double s = 0;
                    for (int i = 0; i < p.length; i++) s += org.hipparchus.special.Gamma.logGamma(p[i]) * p[i];
                    return s;
                }
                /** Rule methods calling a library method that has no rule (QA R6): called back like primal code. */
                public static double logGammaFwd(double x, double dx) { return org.hipparchus.special.Gamma.digamma(x) * dx; }
                public static double logGammaRev(double x, double dy) { return dy * org.hipparchus.special.Gamma.digamma(x); }
                public static double[] erfMap(double[] x) {
                    double[] y = new double[x.length];
                    for (int i = 0; i < x.length; i++) y[i] = org.hipparchus.special.Erf.erf(x[i] * x[(i + 1) % x.length]);
                    return y;
                }
                public static double hypot2(double a, double b) { return Math.sqrt(a * a + b * b); }
                public static double hypotFwd(double a, double b, double da, double db) {
                    return (a * da + b * db) / Math.sqrt(a * a + b * b);
                }
                public static double[] hypotRev(double a, double b, double dy) {
                    double h = Math.sqrt(a * a + b * b);
                    return new double[] {dy * a / h, dy * b / h};
                }
                public static double cube(double x) { return x * x * x; }
                public static double cubeLoss(double x) { return cube(x) + x; }
                public static double twoArgs(double x, double y) { return hypot2(x * y, x + y) * x; }
                /** Raises in the JVM for negative x: the upcall keeps the exception, the binding raises it. */
                public static double jvmLog(double x) {
                    if (x < 0) throw new ArithmeticException("jvmLog of " + x);
                    return Math.log1p(x);
                }
                public static double jvmLogRev(double x, double dy) { return dy / (1 + x); }
                public static double useJvmLog(double x) { return jvmLog(x) * x; }
                public static double checkedFwd(double x, double dx) {
                    if (dx > 1e6) throw new IllegalArgumentException("tangent too large");
                    return dx / (1 + x);
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("dr.Dr", SOURCE);
    }

    @AfterEach
    void noRules() {
        pipeline.rules(List.of());
    }

    private static MethodRef dr(String name, String descriptor) {
        return new MethodRef("dr/Dr", name, descriptor);
    }

    private static DerivativeRule rule(MethodRef primal, String forward, String reverse, boolean inJvm) {
        int k = primal.descriptor().length() - 3;
        return new DerivativeRule(primal, Optional.ofNullable(forward).map(f -> dr(f, "(" + "D".repeat(2 * k) + ")D")),
                Optional.ofNullable(reverse).map(r -> dr(r, "(" + "D".repeat(k + 1) + (k == 1 ? ")D" : ")[D"))),
                inJvm);
    }

    private static final MethodRef ERF = new MethodRef("org/hipparchus/special/Erf", "erf", "(D)D");

    /** Reverse gradient of {@code double name(double[] p)} at p. */
    private static double[] gradient(String name, double[] p) throws Throwable {
        try (Derivative d = pipeline.differentiate(new JavaMethod(classes, "dr/Dr", name, "([D)D"), Mode.REVERSE,
                Map.of(), DifferentiationOptions.DEFAULT)) {
            double[] dp = new double[p.length];
            d.handle().invokeExact(p, dp, new double[1]);
            return dp;
        }
    }

    /** Forward directional derivative of {@code double name(double[] p)} along v. */
    private static double directional(String name, double[] p, double[] v) throws Throwable {
        try (Derivative d = pipeline.differentiate(new JavaMethod(classes, "dr/Dr", name, "([D)D"), Mode.FORWARD,
                Map.of(), DifferentiationOptions.DEFAULT)) {
            double[] out = new double[2];
            d.handle().invokeExact(p, v, out);
            return out[1];
        }
    }

    private static double[] finiteDifferences(String name, double[] p) throws Throwable {
        MethodHandle jvm = classes.jvmHandle("dr.Dr", name);
        double[] g = new double[p.length];
        double h = 1e-6;
        for (int i = 0; i < p.length; i++) {
            double[] plus = p.clone(), minus = p.clone();
            plus[i] += h;
            minus[i] -= h;
            g[i] = ((double) jvm.invokeExact(plus) - (double) jvm.invokeExact(minus)) / (2 * h);
        }
        return g;
    }

    @Test
    void aWrongRuleChangesTheGradientByItsErrorAndACorrectOneAgreesWithFiniteDifferences() throws Throwable {
        double[] p = new Random(3).doubles(6, -1.5, 1.5).toArray();
        double[] fd = finiteDifferences("loss", p);
        MethodRef myerf = dr("myerf", "(D)D");
        pipeline.rules(List.of(rule(myerf, "wrongFwd", "wrongRev", false)));
        double[] wrong = gradient("loss", p);
        double[] v = {1, 0, 0, 0, 0, 0};
        double wrongForward = directional("loss", p, v);
        pipeline.rules(List.of(rule(myerf, "erfFwd", "erfRev", false)));
        double[] right = gradient("loss", p);
        double rightForward = directional("loss", p, v);
        for (int i = 0; i < p.length; i++) {
            assertEquals(fd[i], right[i], 1e-7, "d/dp[" + i + "] with the rule");
            // d/dp (erf(p) p) = erf'(p) p + erf(p): the wrong rule replaces erf'(p) by 3.
            double erfPrime = 2 / Math.sqrt(Math.PI) * Math.exp(-p[i] * p[i]);
            assertEquals((3 - erfPrime) * p[i], wrong[i] - right[i], 1e-12, "the wrong rule's effect at " + i);
        }
        assertEquals(right[0], rightForward, 1e-13);
        assertEquals(wrong[0], wrongForward, 1e-13);
    }

    @Test
    void ruleMethodsCallJvmLibraryMethodsThatHaveNoRuleOfTheirOwn() throws Throwable {
        pipeline.rules(List.of(rule(new MethodRef("org/hipparchus/special/Gamma", "logGamma", "(D)D"), "logGammaFwd",
                "logGammaRev", true)));
        double[] p = {0.7, 1.9, 3.4, 5.2};
        double[] v = {0.3, -0.8, 0.5, 1.1};
        double[] g = gradient("lossGamma", p);
        double[] fd = finiteDifferences("lossGamma", p);
        double expected = 0;
        for (int i = 0; i < p.length; i++) {
            double exact = Gamma.digamma(p[i]) * p[i] + Gamma.logGamma(p[i]);
            assertEquals(exact, g[i], 1e-13 * (1 + Math.abs(exact)), "reverse d/dp[" + i + "]");
            assertEquals(fd[i], g[i], 1e-7, "reverse vs FD at " + i);
            expected += exact * v[i];
        }
        assertEquals(expected, directional("lossGamma", p, v), 1e-12, "forward");
    }

    @Test
    void aJvmMethodCalledBackWithARuleGivesGradientsInReverseForwardAndBatchedForwardMode() throws Throwable {
        pipeline.rules(List.of(rule(ERF, "erfFwd", "erfRev", true)));
        double[] p = new Random(5).doubles(5, -1.2, 1.2).toArray();
        double[] fd = finiteDifferences("lossJvm", p);
        double[] g = gradient("lossJvm", p);
        for (int i = 0; i < p.length; i++) {
            double exact = 2 / Math.sqrt(Math.PI) * Math.exp(-p[i] * p[i]) * p[i] + Erf.erf(p[i]);
            assertEquals(exact, g[i], 1e-14, "reverse d/dp[" + i + "]");
            assertEquals(fd[i], g[i], 1e-7, "reverse vs FD at " + i);
        }
        double[] v = new Random(6).doubles(5, -1, 1).toArray();
        double expected = 0;
        for (int i = 0; i < p.length; i++) {
            expected += g[i] * v[i];
        }
        assertEquals(expected, directional("lossJvm", p, v), 1e-13, "forward");
        // A Jacobian in 4-lane forward sweeps and in reverse: the rule's lanes one by one, and its adjoints.
        double[] x = new Random(7).doubles(6, -1, 1).toArray();
        for (Mode mode : List.of(Mode.FORWARD, Mode.REVERSE)) {
            try (Jacobian jacobian = pipeline.jacobian(new JavaMethod(classes, "dr/Dr", "erfMap", "([D)[D"),
                    JacobianOptions.DEFAULT.withMode(mode).withWidth(mode == Mode.FORWARD ? 4 : 1))) {
                double[][] j = new double[6][6];
                jacobian.into(j, new Object[] {x});
                for (int i = 0; i < 6; i++) {
                    int n = (i + 1) % 6;
                    double d = 2 / Math.sqrt(Math.PI) * Math.exp(-Math.pow(x[i] * x[n], 2));
                    for (int k = 0; k < 6; k++) {
                        double e = (k == i ? d * x[n] : 0) + (k == n ? d * x[i] : 0);
                        assertEquals(e, j[i][k], 1e-14, mode + " J[" + i + "][" + k + "]");
                    }
                }
            }
        }
    }

    @Test
    void aRuleWhoseResultOnlyFeedsTheReturnValueIsUsed() throws Throwable {
        pipeline.rules(List.of(rule(dr("cube", "(D)D"), null, "wrongRev", false)));
        try (Derivative reverse = pipeline.differentiate(new JavaMethod(classes, "dr/Dr", "cubeLoss", "(D)D"),
                Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT)) {
            double[] out = new double[2];
            reverse.handle().invokeExact(0.7, out);
            assertEquals(0.7 * 0.7 * 0.7 + 0.7, out[0], 1e-15);
            assertEquals(4, out[1], 0, "the wrong rule's 3 plus 1");
        }
    }

    @Test
    void aRuleOfTwoArgumentsReturnsItsPartialsAsAnArray() throws Throwable {
        pipeline.rules(List.of(rule(dr("hypot2", "(DD)D"), "hypotFwd", "hypotRev", false)));
        MethodHandle jvm = classes.jvmHandle("dr.Dr", "twoArgs");
        double x = 0.7, y = -1.3, h = 1e-6;
        double fdx = ((double) jvm.invokeExact(x + h, y) - (double) jvm.invokeExact(x - h, y)) / (2 * h);
        double fdy = ((double) jvm.invokeExact(x, y + h) - (double) jvm.invokeExact(x, y - h)) / (2 * h);
        JavaMethod twoArgs = new JavaMethod(classes, "dr/Dr", "twoArgs", "(DD)D");
        try (Derivative reverse = pipeline.differentiate(twoArgs, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(twoArgs, Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT)) {
            double[] out = new double[3];
            reverse.handle().invokeExact(x, y, out);
            assertEquals(fdx, out[1], 1e-8);
            assertEquals(fdy, out[2], 1e-8);
            double[] tangent = new double[2];
            forward.handle().invokeExact(x, 0.5, y, -2.0, tangent);
            assertEquals(0.5 * out[1] - 2 * out[2], tangent[1], 1e-13);
        }
    }

    @Test
    void failuresInsideTheJvmMethodOrARuleAreRaisedByTheBinding() throws Throwable {
        pipeline.rules(List.of(new DerivativeRule(dr("jvmLog", "(D)D"), Optional.of(dr("checkedFwd", "(DD)D")),
                Optional.of(dr("jvmLogRev", "(DD)D")), true)));
        JavaMethod use = new JavaMethod(classes, "dr/Dr", "useJvmLog", "(D)D");
        try (Derivative reverse = pipeline.differentiate(use, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(use, Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT);
             NativeMethod value = pipeline.jit(use)) {
            double[] out = new double[2];
            reverse.handle().invokeExact(2.0, out);
            assertEquals(Math.log1p(2) + 2 / 3.0, out[1], 1e-15);
            assertEquals(Math.log1p(2) * 2, (double) value.handle().invokeExact(2.0), 0);
            ArithmeticException thrown = assertThrows(ArithmeticException.class,
                    () -> reverse.handle().invoke(-1.0, new double[2]));
            assertEquals("jvmLog of -1.0", thrown.getMessage());
            assertThrows(ArithmeticException.class, () -> value.handle().invoke(-3.0));
            IllegalArgumentException ruleFailed = assertThrows(IllegalArgumentException.class,
                    () -> forward.handle().invoke(1.0, 1e7, new double[2]));
            assertTrue(ruleFailed.getMessage().contains("tangent too large"), ruleFailed.getMessage());
            forward.handle().invokeExact(1.0, 1.0, out); // the thread's pending failure does not leak into the next call
            assertEquals(Math.log1p(1) + 0.5, out[1], 1e-15);
        }
    }

    @Test
    void aJvmMethodWithoutTheNeededDerivativeIsRefusedInWords() {
        pipeline.rules(List.of(rule(ERF, null, "erfRev", true)));
        LoweringException refused = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                new JavaMethod(classes, "dr/Dr", "lossJvm", "([D)D"), Mode.FORWARD, Map.of(),
                DifferentiationOptions.DEFAULT));
        assertTrue(refused.getMessage().contains("calling org.hipparchus.special.Erf.erf(double) in the JVM, whose "
                + "%autodiff rule gives no forward=<method>"), refused.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> new DerivativeRule(ERF, Optional.of(dr("hypotFwd", "(DDDD)D")), Optional.empty(), true));
        assertTrue(shape.getMessage().startsWith(
                "the forward rule of org.hipparchus.special.Erf.erf(double) must take 2 doubles"),
                shape.getMessage());
    }
}
