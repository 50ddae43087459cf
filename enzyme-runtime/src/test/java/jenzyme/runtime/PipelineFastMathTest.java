package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.RosenbrockFixture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --fast-math} (DifferentiationOptions.fastMath): reassociation and contraction allowed in the primal and
 * the derivative, strict by default; results within docs/DERIVATIVES.md's tolerance of the JVM's, where strict
 * ones are the JVM's bits.
 */
class PipelineFastMathTest {

    private static final String SOURCE = """
            package demo;
            public class Sums {
                %s
            }
            """.formatted(RosenbrockFixture.METHOD);
    private static final DifferentiationOptions FAST = DifferentiationOptions.DEFAULT.withFastMath(true);

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static JavaMethod rosen;
    private static java.lang.invoke.MethodHandle jvmRosen;

    @BeforeAll
    static void start() {
        CompiledClasses classes = InMemoryJavac.compile("demo.Sums", SOURCE);
        rosen = new JavaMethod(classes, "demo/Sums", "rosen", "([D)D");
        jvmRosen = classes.jvmHandle("demo.Sums", "rosen");
    }

    /** The JVM's own value of the method. */
    private static double demo(double[] x) throws Throwable {
        return (double) jvmRosen.invokeExact(x);
    }

    /**
     * The tolerance of docs/DERIVATIVES.md: any summation order of n terms is within n·eps·Σ|terms| of another (the
     * terms are non-negative: Σ|terms| is the value).
     */
    private static double reassociationBound(double[] x) throws Throwable {
        return x.length * Math.ulp(1.0) * demo(x);
    }

    @Test
    void fastMathPrimalIsRelaxedAndWithinTheToleranceStrictIsBitForBit() throws Throwable {
        double[] x = new Random(7).doubles(1000, -2, 2).toArray();
        double jvm = demo(x);
        try (NativeMethod strict = pipeline.jit(rosen); NativeMethod fast = pipeline.jit(rosen, FAST)) {
            assertFalse(strict.code().compiledIr().contains("reassoc"), strict.code().compiledIr());
            assertTrue(fast.code().compiledIr().contains("fadd reassoc contract"), fast.code().compiledIr());
            assertEquals(jvm, (double) strict.handle().invokeExact(x), 0.0, "strict is the JVM's sum");
            assertEquals(jvm, (double) fast.handle().invokeExact(x), reassociationBound(x));
            assertTrue(strict.isLive(), "jitting the fast version keeps the strict one");
        }
    }

    @Test
    void fastMathGradientIsRelaxedAndAgreesWithTheStrictOne() throws Throwable {
        double[] x = new Random(8).doubles(1000, -2, 2).toArray();
        try (Derivative strict = pipeline.differentiate(rosen, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
             Derivative fast = pipeline.differentiate(rosen, Mode.REVERSE, Map.of(), FAST)) {
            assertFalse(strict.code().compiledIr().contains("reassoc"));
            assertTrue(fast.code().compiledIr().contains("reassoc contract"), fast.code().compiledIr());
            double[] gStrict = new double[x.length], gFast = new double[x.length];
            double[] outStrict = new double[1], outFast = new double[1];
            strict.handle().invokeExact(x, gStrict, outStrict);
            fast.handle().invokeExact(x, gFast, outFast);
            assertEquals(demo(x), outStrict[0], 0.0);
            assertEquals(outStrict[0], outFast[0], reassociationBound(x));
            for (int i = 0; i < x.length; i++) {
                // Each component sums 3 terms; fused or reordered, it moves by a few ulps of the magnitude of their
                // operands (not of the component: measured 1.8e-13 relative where x[i+1] - x[i]^2 cancels).
                double u = i + 1 < x.length ? Math.abs(x[i + 1]) + x[i] * x[i] : 0;
                double before = i > 0 ? Math.abs(x[i]) + x[i - 1] * x[i - 1] : 0;
                double terms = 400 * Math.abs(x[i]) * u + 2 * (1 + Math.abs(x[i])) + 200 * before;
                assertEquals(gStrict[i], gFast[i], 16 * Math.ulp(1.0) * terms, "component " + i);
            }
        }
    }
}
