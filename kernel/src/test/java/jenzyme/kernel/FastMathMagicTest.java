package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code --fast-math} on {@code %jit} and {@code %autodiff}: bound, and within docs/DERIVATIVES.md's tolerance. */
class FastMathMagicTest {

    private static JEnzymeKernel kernel;

    @BeforeAll
    static void start() throws Exception {
        kernel = JEnzymeKernel.start();
        kernel.session().define("""
                double rosen(double[] x) {
                    double s = 0;
                    for (int i = 0; i + 1 < x.length; i++)
                        s += 100 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1 - x[i]) * (1 - x[i]);
                    return s;
                }""");
        // n·eps·Σ|terms|: every term is positive, so Σ|terms| is the value itself.
        kernel.session().define("double bound(double[] x) { return x.length * Math.ulp(1.0) * rosen(x); }");
        kernel.session().define("double[] x = new java.util.Random(5).doubles(2000, -2, 2).toArray();");
    }

    @AfterAll
    static void stop() {
        kernel.onShutdown(false);
    }

    private static String value(String cell) throws Exception {
        return String.valueOf(kernel.runCell(cell).value().orElseThrow().getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void jitWithFastMathIsWithinTheReassociationBound() throws Exception {
        kernel.runCell("%jit rosen --fast-math");
        assertEquals("true", value("Math.abs(rosen_native(x) - rosen(x)) <= bound(x)"));
    }

    @Test
    void autodiffWithFastMathGivesTheGradientWithinTheBound() throws Exception {
        kernel.runCell("%autodiff reverse rosen --fast-math");
        assertEquals("true", value("Math.abs(rosen_grad(x).value() - rosen(x)) <= bound(x)"));
        // Against the strict gradient, each component within 16 eps of the magnitude of
        // its operands (PipelineFastMathTest).
        kernel.runCell("%autodiff reverse rosen --name strict");
        assertEquals("0", value("""
                java.util.stream.IntStream.range(0, x.length).filter(i -> {
                    double u = i + 1 < x.length ? Math.abs(x[i + 1]) + x[i] * x[i] : 0;
                    double w = i > 0 ? Math.abs(x[i]) + x[i - 1] * x[i - 1] : 0;
                    double terms = 400 * Math.abs(x[i]) * u + 2 * (1 + Math.abs(x[i])) + 200 * w;
                    return Math.abs(rosen_grad(x).dx()[i] - strict_grad(x).dx()[i]) > 16 * Math.ulp(1.0) * terms;
                }).count()"""));
    }
}
