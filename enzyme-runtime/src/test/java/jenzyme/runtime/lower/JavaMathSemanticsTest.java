package jenzyme.runtime.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.math.BigDecimal;
import java.util.Random;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Java's library contracts that a comparison with the JVM cannot prove: cbrt within 1 ulp of the exact cube root
 * (checked exactly with BigDecimal, not against the JVM's own approximation), and pow(x, ±0) = 1 for a signalling
 * NaN x, which the differential corpus never generates.
 */
class JavaMathSemanticsTest {

    private static final String SOURCE = """
            package m;
            public class M {
                static double cbrt(double x) { return Math.cbrt(x); }
                static double pow(double x, double y) { return Math.pow(x, y); }
            }
            """;
    private static final CompiledClasses CLASSES = InMemoryJavac.compile("m.M", SOURCE);
    @AutoClose
    private static final Pipeline compiler = Pipeline.create();

    @Test
    void cbrtIsWithinOneUlpOfTheExactCubeRoot() throws Throwable {
        MethodHandle cbrt = compiler.jit(new JavaMethod(CLASSES, "m/M", "cbrt", "(D)D")).handle();
        Random random = new Random(15);
        for (int trial = 0; trial < 20_000; trial++) {
            // Uniform over bit patterns of finite doubles: every binade, subnormals included.
            double x = Double.longBitsToDouble(random.nextLong() & 0x7fefffffffffffffL) * (random.nextBoolean() ? 1 : -1);
            double y = (double) cbrt.invokeExact(x);
            double magnitude = Math.abs(y);
            BigDecimal below = new BigDecimal(magnitude - Math.ulp(magnitude));
            BigDecimal above = new BigDecimal(magnitude + Math.ulp(magnitude));
            BigDecimal target = new BigDecimal(Math.abs(x));
            assertTrue(below.pow(3).compareTo(target) < 0 && above.pow(3).compareTo(target) > 0,
                    "cbrt(" + x + ") = " + y + " is 1 ulp or more from the exact cube root");
            assertEquals(Math.copySign(1, x), Math.copySign(1, y), "sign of cbrt(" + x + ")");
        }
        for (double special : new double[] {0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 27, -8}) {
            assertEquals(Double.doubleToLongBits(Math.cbrt(special)), Double.doubleToLongBits((double) cbrt.invokeExact(special)),
                    "cbrt(" + special + ")");
        }
    }

    @Test
    void anyNaNToTheZeroIsOne() throws Throwable {
        MethodHandle pow = compiler.jit(new JavaMethod(CLASSES, "m/M", "pow", "(DD)D")).handle();
        double signalling = Double.longBitsToDouble(0x7ff0000000000001L);
        assertEquals(1.0, (double) pow.invokeExact(signalling, 0.0));
        assertEquals(1.0, (double) pow.invokeExact(signalling, -0.0));
        assertEquals(1.0, (double) pow.invokeExact(Double.NaN, 0.0));
        assertTrue(Double.isNaN((double) pow.invokeExact(signalling, 1.0)));
        assertEquals(Math.pow(2.5, 0.0), (double) pow.invokeExact(2.5, 0.0));
    }
}
