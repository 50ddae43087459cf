package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code --fast-math} on {@code %jit} and {@code %autodiff}: bound, and within docs/DERIVATIVES.md's tolerance. */
class FastMathMagicTest {

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells("""
            double rosen(double[] x) {
                double s = 0;
                for (int i = 0; i + 1 < x.length; i++)
                    s += 100 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1 - x[i]) * (1 - x[i]);
                return s;
            }""",
            // n·eps·Σ|terms|: every term is positive, so Σ|terms| is the value itself.
            "double bound(double[] x) { return x.length * Math.ulp(1.0) * rosen(x); }",
            "double[] x = new java.util.Random(5).doubles(2000, -2, 2).toArray();");

    @Test
    void jitWithFastMathIsWithinTheReassociationBound() throws Exception {
        cells.run("%jit rosen --fast-math");
        assertEquals("true", cells.text("Math.abs(rosen_native(x) - rosen(x)) <= bound(x)"));
    }

    @Test
    void autodiffWithFastMathGivesTheGradientWithinTheBound() throws Exception {
        cells.run("%autodiff reverse rosen --fast-math");
        assertEquals("true", cells.text("Math.abs(rosen_grad(x).value() - rosen(x)) <= bound(x)"));
        // Against the strict gradient, each component within 16 eps of the magnitude of
        // its operands (PipelineFastMathTest).
        cells.run("%autodiff reverse rosen --name strict");
        assertEquals("0", cells.text("""
                java.util.stream.IntStream.range(0, x.length).filter(i -> {
                    double u = i + 1 < x.length ? Math.abs(x[i + 1]) + x[i] * x[i] : 0;
                    double w = i > 0 ? Math.abs(x[i]) + x[i - 1] * x[i - 1] : 0;
                    double terms = 400 * Math.abs(x[i]) * u + 2 * (1 + Math.abs(x[i])) + 200 * w;
                    return Math.abs(rosen_grad(x).dx()[i] - strict_grad(x).dx()[i]) > 16 * Math.ulp(1.0) * terms;
                }).count()"""));
    }
}
