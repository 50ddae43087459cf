package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.DoubleStream;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.SettledAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code f_grad_set} in a notebook (docs/MAGICS.md): f_grad_into's parameters, the gradient written into shadows
 * that hold garbage, the Active scalars' partials in dActive as f_grad_into's; against f_grad_into on zeroed shadows
 * and central differences of the JVM's method. Not bound where f_grad_into's shadows are not plain arrays.
 */
class OverwritingGradientStubsTest {

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells("""
            double loss(double[] w, double[] xs, double c, int n) {
                double s = 0;
                for (int i = 0; i < n; i++) s += Math.exp(c * w[i]) * xs[i] * xs[i] + Math.sin(w[i] * xs[i]);
                return s;
            }
            double rosen(double[] p) {
                double s = 0;
                for (int i = 0; i + 1 < p.length; i++) {
                    double u = p[i + 1] - p[i] * p[i], v = 1 - p[i];
                    s += 100 * u * u + v * v;
                }
                return s;
            }
            double fixedNames(double[] Active, double dActive) { return Math.sin(Active[0]) * dActive + Active[1] * Active[1]; }
            void squares(double[] in, double[] out) { for (int i = 0; i < in.length; i++) out[i] = in[i] * in[i]; }
            double trace(double[][] m) { return m[0][0] * m[1][1]; }
            record Springs(double k, double[] rest) {}
            double stretch(Springs s, double[] x) { return s.k() * (x[0] - s.rest()[0]) * (x[0] - s.rest()[0]); }
            final class Model {
                final double k;
                Model(double k) { this.k = k; }
                double fit(double[] x) { return k * x[0] * x[0]; }
            }
            """, "Model model = new Model(1.5);");

    private static final String GARBAGE = "{Double.NaN, 1e300, Double.NEGATIVE_INFINITY, -7.5}";

    @Test
    void writesTheGradientOverGarbageAndTheActivePartialAsGradInto() throws Throwable {
        String bound = cells.text("%autodiff reverse loss");
        assertTrue(bound.contains("double loss_grad_set(double[] w, double[] dw, double[] xs, double[] dxs, double c,"
                + " int n, double[] dActive)"), bound);
        double[] x = {0.3, -0.7, 1.1, 0.4, 0.9, -1.3, 0.2, 0.6, 0.45};
        String point = "new double[] {%s, %s, %s, %s}, new double[] {%s, %s, %s, %s}, %s";
        double[] differences = CentralDifferences.gradient(at -> cells.numbers(
                ("loss(" + point + ", 4)").formatted(DoubleStream.of(at).boxed().toArray()))[0], x);
        Object[] at = DoubleStream.of(x).boxed().toArray();
        cells.run(("double[] sw = %s, sxs = %s, sActive = {Double.NaN}; double setValue = loss_grad_set(new double[]"
                + " {%s, %s, %s, %s}, sw, new double[] {%s, %s, %s, %s}, sxs, %s, 4, sActive);")
                .formatted(GARBAGE, GARBAGE, at[0], at[1], at[2], at[3], at[4], at[5], at[6], at[7], at[8]));
        double[] written = cells.numbers("sw[0], sw[1], sw[2], sw[3], sxs[0], sxs[1], sxs[2], sxs[3], sActive[0]");
        assertArrayEquals(differences, written, 1e-6 * (1 + DoubleStream.of(differences).map(Math::abs).max()
                .orElse(0)), "loss_grad_set vs central differences");

        cells.run(("double[] iw = new double[4], ixs = new double[4], iActive = new double[1]; double intoValue ="
                + " loss_grad_into(new double[] {%s, %s, %s, %s}, iw, new double[] {%s, %s, %s, %s}, ixs, %s, 4,"
                + " iActive);").formatted(at));
        assertArrayEquals(cells.numbers("iw[0], iw[1], iw[2], iw[3], ixs[0], ixs[1], ixs[2], ixs[3], iActive[0]"),
                written, 1e-14, "loss_grad_set vs loss_grad_into on zeroed shadows");
        assertArrayEquals(cells.numbers("intoValue, loss(" + point.formatted(at) + ", 4)"),
                cells.numbers("setValue, setValue"), 1e-14, "the value");
    }

    /** Called again on the same shadow, f_grad_set gives the gradient, f_grad_into twice the gradient. */
    @Test
    void callingTwiceWritesOnceWhereGradIntoAddsTwice() throws Exception {
        cells.run("%autodiff reverse rosen --fast-math");
        cells.run("double[] rp = {0.5, -1.2, 0.8}, rSet = new double[3], rInto = new double[3];"
                + " for (int k = 0; k < 2; k++) { rosen_grad_set(rp, rSet); rosen_grad_into(rp, rInto); }");
        double[] once = cells.numbers("rSet[0], rSet[1], rSet[2]");
        double[] twice = cells.numbers("rInto[0], rInto[1], rInto[2]");
        double[] p = {0.5, -1.2, 0.8};
        double[] analytic = new double[3];
        for (int i = 0; i < 3; i++) {
            analytic[i] = (i > 0 ? 200 * (p[i] - p[i - 1] * p[i - 1]) : 0)
                    + (i + 1 < 3 ? -400 * p[i] * (p[i + 1] - p[i] * p[i]) - 2 * (1 - p[i]) : 0);
        }
        assertArrayEquals(analytic, once, 1e-12 * 500, "rosen_grad_set (--fast-math) vs the analytic gradient");
        assertArrayEquals(DoubleStream.of(once).map(g -> 2 * g).toArray(), twice, 1e-12 * 500, "rosen_grad_into x2");
    }

    /**
     * The stubs allocate nothing per call once the JIT has compiled them, as f_grad_into's (the runtime's
     * OverwritingGradientAllocationTest measures the handles alone); arrays of 40 doubles: calls with less than 256
     * bytes of arrays take the copying route, which allocates.
     */
    @Test
    void gradSetAllocatesNothingPerCall() throws Throwable {
        cells.text("%autodiff reverse loss");
        cells.text("%autodiff reverse rosen --fast-math");
        MethodHandle loss = cells.handle("loss_grad_set");
        MethodHandle rosen = cells.handle("rosen_grad_set");
        Random random = new Random(3);
        int n = 40;
        double[] w = random.doubles(n, -1, 1).toArray(), xs = random.doubles(n, -1, 1).toArray();
        double[] dw = new double[n], dxs = new double[n], dActive = new double[1];
        double[] p = random.doubles(n, -2, 2).toArray(), dp = new double[n];
        List<SettledAllocation.Call> calls = List.of(() -> {
            double value = (double) loss.invokeExact(w, dw, xs, dxs, 0.3, n, dActive);
        }, () -> {
            double value = (double) rosen.invokeExact(p, dp);
        });
        assertEquals(0, SettledAllocation.bytesPerRound(calls), "bytes per round of loss_grad_set and rosen_grad_set");
        double[] once = new double[n];
        cells.handle("rosen_grad_into").invoke(p, once);
        assertArrayEquals(once, dp, 1e-12 * (1 + Arrays.stream(once).map(Math::abs).max().orElse(0)),
                "thousands of rosen_grad_set calls leave one gradient");
    }

    /** Generated names stay apart: f_grad_set takes f_grad_into's parameters, underscores included. */
    @Test
    void takesGradIntosParametersWithTheirUnderscores() throws Exception {
        String bound = cells.text("%autodiff reverse fixedNames");
        assertTrue(bound.contains("double fixedNames_grad_set(double[] Active, double[] dActive_, double dActive,"
                + " double[] dActive__)"), bound);
        cells.run("double[] fShadow = {Double.NaN, Double.NaN}, fActive = {Double.NaN};"
                + " fixedNames_grad_set(new double[] {0.3, -0.7}, fShadow, 0.5, fActive);");
        assertArrayEquals(new double[] {Math.cos(0.3) * 0.5, -1.4, Math.sin(0.3)},
                cells.numbers("fShadow[0], fShadow[1], fActive[0]"), 1e-14);
    }

    /** A row table's shadow, of the matrix's shape: every row written. */
    @Test
    void writesEveryRowOfAMatrixsGradient() throws Exception {
        String bound = cells.text("%autodiff reverse trace");
        assertTrue(bound.contains("double trace_grad_set(double[][] m, double[][] dm)"), bound);
        cells.run("double[][] tm = {{0.5, 2}, {3, -1.5}}, tdm = {{Double.NaN, 7}, {1e300, -2}};"
                + " double traceValue = trace_grad_set(tm, tdm);");
        assertArrayEquals(new double[] {-0.75, -1.5, 0, 0, 0.5},
                cells.numbers("traceValue, tdm[0][0], tdm[0][1], tdm[1][0], tdm[1][1]"), 1e-15);
    }

    /** Outputs of a void method (their shadows are seeds), records and receivers: f_grad_into only. */
    @Test
    void notBoundWhereShadowsAreSeedsRecordsOrObjects() throws Exception {
        for (String target : new String[] {"squares", "stretch", "model.fit"}) {
            String name = target.substring(target.indexOf('.') + 1);
            String bound = cells.text("%autodiff reverse " + target);
            assertTrue(bound.contains(name + "_grad_into("), bound);
            assertFalse(bound.contains(name + "_grad_set("), bound);
        }
        assertEquals(1, cells.numbers("1").length); // the notebook still answers after the refusals
    }
}
