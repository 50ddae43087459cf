package jenzyme.runtime.ad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The derivative conventions of non-smooth library functions (docs/DERIVATIVES.md), in reverse and forward mode:
 * what the gradient is at the kinks, at ±0 and at NaN. Away from the kinks each must match the analytic derivative.
 */
class NonSmoothDerivativesTest {

    private static final String SOURCE = """
            package ns;
            public class F {
                public static double signum(double x) { return Math.signum(x); }
                public static double abs(double x) { return Math.abs(x); }
                public static double sqrt(double x) { return Math.sqrt(x); }
                public static double min(double x, double y) { return Math.min(x, y); }
                public static double max(double x, double y) { return Math.max(x, y); }
                public static double floor(double x) { return Math.floor(x); }
                public static double ceil(double x) { return Math.ceil(x); }
                public static double rint(double x) { return Math.rint(x); }
                public static double round(double x) { return Math.round(x) * x; }
                public static double cbrt(double x) { return Math.cbrt(x); }
                public static double pow(double x, double y) { return Math.pow(x, y); }
                public static double remainder(double x, double y) { return Math.IEEEremainder(x, y); }
                public static double scalb(double x, int n) { return Math.scalb(x, n); }
                public static double nextUp(double x) { return Math.nextUp(x); }
                public static double nextDown(double x) { return Math.nextDown(x); }
                public static double nextAfter(double x, double y) { return Math.nextAfter(x, y); }
                public static double ulp(double x) { return Math.ulp(x) * x; }
            }
            """;
    private static final double NAN = Double.NaN;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("ns.F", SOURCE);
    }

    private static MethodHandle reverse(String name, String descriptor) {
        return pipeline.differentiate(new JavaMethod(classes, "ns/F", name, descriptor), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT).handle();
    }

    /** d f / d x at x, by reverse mode. */
    private static double slope(MethodHandle gradient, double x) throws Throwable {
        double[] out = new double[2];
        gradient.invokeExact(x, out);
        return out[1];
    }

    /** (d f/d x, d f/d y) at (x, y). */
    private static double[] slopes(MethodHandle gradient, double x, double y) throws Throwable {
        double[] out = new double[3];
        gradient.invokeExact(x, y, out);
        return new double[] {out[1], out[2]};
    }

    private static void assertSlope(double expected, MethodHandle gradient, double x) throws Throwable {
        assertEquals(expected, slope(gradient, x), 0, "derivative at " + x);
    }

    @Test
    void signumHasDerivativeZeroEverywhereIncludingZerosAndNaN() throws Throwable {
        MethodHandle g = reverse("signum", "(D)D");
        for (double x : new double[] {-3, -Double.MIN_VALUE, -0.0, 0.0, Double.MIN_VALUE, 2.5, NAN}) {
            assertSlope(0, g, x);
        }
    }

    @Test
    void absHasSlopeOfTheSignAndPlusOneAtBothZeros() throws Throwable {
        MethodHandle g = reverse("abs", "(D)D");
        assertSlope(-1, g, -2);
        assertSlope(1, g, 3);
        assertSlope(ABS_AT_PLUS_ZERO, g, 0.0);
        assertSlope(ABS_AT_MINUS_ZERO, g, -0.0);
    }

    @Test
    void sqrtAtZero() throws Throwable {
        MethodHandle g = reverse("sqrt", "(D)D");
        assertSlope(0.5 / Math.sqrt(4), g, 4);
        assertSlope(SQRT_AT_ZERO, g, 0.0);
    }

    @Test
    void minAndMaxTiesGoToOneArgument() throws Throwable {
        MethodHandle min = reverse("min", "(DD)D");
        MethodHandle max = reverse("max", "(DD)D");
        assertEquals(java.util.List.of(1.0, 0.0), list(slopes(min, 1, 2)));
        assertEquals(java.util.List.of(0.0, 1.0), list(slopes(min, 3, 2)));
        assertEquals(java.util.List.of(0.0, 1.0), list(slopes(max, 1, 2)));
        assertEquals(MIN_TIE, list(slopes(min, 2, 2)));
        assertEquals(MAX_TIE, list(slopes(max, 2, 2)));
    }

    @Test
    void stepFunctionsHaveDerivativeZero() throws Throwable {
        for (String name : new String[] {"floor", "ceil", "rint"}) {
            MethodHandle g = reverse(name, "(D)D");
            for (double x : new double[] {-1.5, -1, 0, 0.5, 2.5, 3}) {
                assertSlope(0, g, x);
            }
        }
        MethodHandle round = reverse("round", "(D)D"); // round(x) * x: the integer factor is a constant
        assertSlope(3, round, 2.6);
        assertSlope(-2, round, -2.5);
    }

    @Test
    void refinedCbrtKeepsItsDerivative() throws Throwable {
        MethodHandle g = reverse("cbrt", "(D)D");
        for (double x : new double[] {-8, 0.001, 27, 1e300, 1e-310}) {
            double expected = 1 / (3 * Math.cbrt(x) * Math.cbrt(x));
            assertEquals(expected, slope(g, x), 1e-14 * Math.abs(expected), "cbrt' at " + x);
        }
    }

    @Test
    void powToTheZeroKeepsTheExponentsDerivative() throws Throwable {
        MethodHandle g = reverse("pow", "(DD)D");
        double[] at = slopes(g, 2.5, 0.0);
        assertEquals(0, at[0], 0, "d/dx x^0");
        assertEquals(Math.log(2.5), at[1], 1e-15, "d/dy x^y at y = 0 is ln x");
    }

    @Test
    void ieeeRemainderIsXMinusNYWithNTheNearestIntegerQuotient() throws Throwable {
        MethodHandle g = reverse("remainder", "(DD)D");
        MethodHandle f = forward("remainder", "(DDDD[D)V");
        for (double[] at : new double[][] {{7.3, 2.0}, {-7.3, 2.5}, {0.4, 3.0}, {1e3, -0.7}}) {
            double n = Math.rint(at[0] / at[1]);
            double[] expected = {1, -n};
            assertArrayEquals(expected, slopes(g, at[0], at[1]), 0, "∇ IEEEremainder at " + list(at));
            assertArrayEquals(expected, centralDifferences(Math::IEEEremainder, at), 1e-6, "FD at " + list(at));
            double[] out = new double[2];
            f.invokeExact(at[0], 0.5, at[1], 2.0, out);
            assertEquals(Math.IEEEremainder(at[0], at[1]), out[0], 0);
            assertEquals(0.5 - 2 * n, out[1], 1e-12, "tangent at " + list(at));
        }
        // At a tie (x/y = 2.5 exactly) the remainder jumps; Enzyme's rule rounds the quotient half away from zero.
        assertEquals(java.util.List.of(1.0, -3.0), list(slopes(g, 5.0, 2.0)));
    }

    @Test
    void scalbScalesTheDerivativeByTwoToTheN() throws Throwable {
        MethodHandle g = reverse("scalb", "(DI)D");
        MethodHandle f = forward("scalb", "(DDI[D)V");
        for (int n : new int[] {-3, 0, 5}) {
            double[] out = new double[2];
            g.invokeExact(1.5, n, out);
            assertEquals(Math.scalb(1.0, n), out[1], 0, "d/dx scalb(x, " + n + ")");
            f.invokeExact(1.5, 3.0, n, out);
            assertEquals(Math.scalb(1.5, n), out[0], 0);
            assertEquals(3 * Math.scalb(1.0, n), out[1], 0, "tangent of scalb(x, " + n + ")");
        }
    }

    @Test
    void nextUpDownAndAfterHaveSlopeOneInXAndZeroInTheDirection() throws Throwable {
        double[] xs = {1.5, -2.0, 1e-310, Double.MAX_VALUE, -0.0};
        for (String name : new String[] {"nextUp", "nextDown"}) {
            MethodHandle g = reverse(name, "(D)D");
            MethodHandle f = forward(name, "(DD[D)V");
            for (double x : xs) {
                double[] out = new double[2];
                g.invokeExact(x, out);
                assertEquals(name.equals("nextUp") ? Math.nextUp(x) : Math.nextDown(x), out[0], 0, name + "(" + x + ")");
                assertEquals(1, out[1], 0, name + "' at " + x);
                f.invokeExact(x, 2.0, out);
                assertEquals(2, out[1], 0, name + " tangent at " + x);
            }
        }
        MethodHandle g = reverse("nextAfter", "(DD)D");
        for (double[] at : new double[][] {{1.5, 3}, {1.5, -3}, {1.5, 1.5}, {-0.0, 1}}) {
            double[] out = new double[3];
            g.invokeExact(at[0], at[1], out);
            assertEquals(Math.nextAfter(at[0], at[1]), out[0], 0);
            assertEquals(java.util.List.of(1.0, 0.0), list(new double[] {out[1], out[2]}), "at " + list(at));
        }
        // Where the result is a zero (stepping from ±MIN_VALUE) or x is infinite, the result is taken as it is.
        assertSlope(0, reverse("nextDown", "(D)D"), Double.MIN_VALUE);
        assertSlope(0, reverse("nextUp", "(D)D"), Double.NEGATIVE_INFINITY);
    }

    @Test
    void ulpIsPiecewiseConstant() throws Throwable {
        MethodHandle g = reverse("ulp", "(D)D"); // ulp(x) * x: the derivative is ulp(x)
        for (double x : new double[] {1.5, -3, 1e-310, 1e300, Double.MAX_VALUE}) {
            double[] out = new double[2];
            g.invokeExact(x, out);
            assertEquals(Math.ulp(x) * x, out[0], 0, "ulp(" + x + ") * " + x);
            assertEquals(Math.ulp(x), out[1], 0, "d/dx ulp(x) * x at " + x);
        }
    }

    private static MethodHandle forward(String name, String expectedType) {
        MethodHandle handle = pipeline.differentiate(new JavaMethod(classes, "ns/F", name,
                expectedType.startsWith("(DDI") ? "(DI)D" : expectedType.startsWith("(DDDD") ? "(DD)D" : "(D)D"),
                Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT).handle();
        assertEquals(expectedType, handle.type().toMethodDescriptorString());
        return handle;
    }

    private static double[] centralDifferences(java.util.function.DoubleBinaryOperator f, double[] at) {
        double h = 1e-6;
        return new double[] {(f.applyAsDouble(at[0] + h, at[1]) - f.applyAsDouble(at[0] - h, at[1])) / (2 * h),
                (f.applyAsDouble(at[0], at[1] + h) - f.applyAsDouble(at[0], at[1] - h)) / (2 * h)};
    }

    private static java.util.List<Double> list(double[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }

    // Measured conventions (Enzyme's rules for llvm.fabs, llvm.sqrt, llvm.minimum/maximum), documented in
    // docs/DERIVATIVES.md.
    private static final double ABS_AT_PLUS_ZERO = 1;
    private static final double ABS_AT_MINUS_ZERO = 1;
    private static final double SQRT_AT_ZERO = 0;
    private static final java.util.List<Double> MIN_TIE = java.util.List.of(0.0, 1.0); // min: to y
    private static final java.util.List<Double> MAX_TIE = java.util.List.of(1.0, 0.0); // max: to x
}
