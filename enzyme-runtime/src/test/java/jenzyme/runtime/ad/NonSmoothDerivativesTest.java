package jenzyme.runtime.ad;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import org.junit.jupiter.api.AfterAll;
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
            }
            """;
    private static final double NAN = Double.NaN;

    private static CompiledClasses classes;
    private static Pipeline pipeline;

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("ns.F", SOURCE);
        pipeline = Pipeline.create();
    }

    @AfterAll
    static void stop() {
        pipeline.close();
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
