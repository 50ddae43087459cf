package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Derivatives through the library calls the lowering maps itself (Math.clamp, compare) and through methods that
 * throw: gradients and tangents against the analytic ones, and the exception raised by the derivative's binding with
 * the JVM's class and message. (Their primal results are checked against the JVM in the differential corpus.)
 */
class LibraryDerivativesTest {

    private static final String SOURCE = """
            package lib;
            public class Lib {
                static double clamped(double x, double lo, double hi) { return Math.clamp(x * x, lo, hi) * x; }
                static double unitClamped(double x) { return Math.clamp(x, 1.0, 0.5); }
                static double softPlusChecked(double x, double k) {
                    if (k <= 0) throw new IllegalArgumentException("k must be positive");
                    return Math.log1p(Math.exp(k * x)) / k;
                }
                static double ordered(double a, double b) { return Double.compare(a, b) < 0 ? a * b : a + b; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("lib.Lib", SOURCE);
    }

    private static Derivative derive(String name, String descriptor, Mode mode) {
        return pipeline.differentiate(new JavaMethod(classes, "lib/Lib", name, descriptor), mode, Map.of(),
                DifferentiationOptions.DEFAULT);
    }

    @Test
    void clampPassesTheDerivativeInsideAndToTheBindingBoundOutside() throws Throwable {
        try (Derivative reverse = derive("clamped", "(DDD)D", Mode.REVERSE);
             Derivative forward = derive("clamped", "(DDD)D", Mode.FORWARD)) {
            double[] out = new double[4];
            reverse.handle().invokeExact(0.5, 0.0, 1.0, out); // inside: x^3
            assertArrayEquals(new double[] {0.125, 0.75, 0, 0}, out, 1e-15);
            reverse.handle().invokeExact(2.0, 0.0, 1.0, out); // above: hi * x
            assertArrayEquals(new double[] {2.0, 1.0, 0, 2.0}, out, 1e-15);
            reverse.handle().invokeExact(0.1, 0.5, 1.0, out); // below: lo * x
            assertArrayEquals(new double[] {0.05, 0.5, 0.1, 0}, out, 1e-15);
            double[] tangent = new double[2];
            forward.handle().invokeExact(0.5, 1.0, 0.0, 0.0, 1.0, 0.0, tangent);
            assertArrayEquals(new double[] {0.125, 0.75}, tangent, 1e-15);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> { reverse.handle().invokeExact(0.5, 2.0, 1.0, out); });
            assertEquals("min > max (Math.clamp's bounds, computed in compiled code)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> { reverse.handle().invokeExact(0.5, Double.NaN, 1.0, out); });
            assertEquals("min is NaN", e.getMessage());
        }
    }

    @Test
    void literalClampBoundsGiveTheJdksMessage() throws Throwable {
        try (Derivative d = derive("unitClamped", "(D)D", Mode.REVERSE)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> { d.handle().invokeExact(0.7, new double[2]); });
            assertEquals("1.0 > 0.5", e.getMessage());
        }
    }

    @Test
    void aThrowInCompiledCodeRaisesFromTheGradientWithItsMessage() throws Throwable {
        try (Derivative d = derive("softPlusChecked", "(DD)D", Mode.REVERSE)) {
            double[] out = new double[3];
            d.handle().invokeExact(0.3, 2.0, out);
            double e = Math.exp(2.0 * 0.3);
            assertEquals(Math.log1p(e) / 2.0, out[0], 1e-15);
            assertEquals(e / (1 + e), out[1], 1e-15);
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                    () -> { d.handle().invokeExact(0.3, -1.0, out); });
            assertEquals("k must be positive", thrown.getMessage());
            assertEquals("softPlusChecked", thrown.getStackTrace()[0].getMethodName());
        }
    }

    @Test
    void compareSelectsTheBranch() throws Throwable {
        try (Derivative d = derive("ordered", "(DD)D", Mode.REVERSE)) {
            double[] out = new double[3];
            d.handle().invokeExact(2.0, 3.0, out);
            assertArrayEquals(new double[] {6.0, 3.0, 2.0}, out, 0);
            d.handle().invokeExact(0.0, -0.0, out); // 0.0 > -0.0 in compare's order
            assertArrayEquals(new double[] {0.0, 1.0, 1.0}, out, 0);
        }
    }
}
