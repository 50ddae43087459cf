package jenzyme.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jenzyme.bench.workloads.HipparchusForms;
import jenzyme.bench.workloads.LogisticRegression;
import jenzyme.bench.workloads.Rosenbrock;
import jenzyme.bench.workloads.TranscendentalLoop;
import org.hipparchus.analysis.differentiation.Gradient;
import org.hipparchus.analysis.differentiation.SparseGradient;
import org.junit.jupiter.api.Test;

/** The Hipparchus columns compute the workloads' own functions: values as the Java methods, gradients as formulas or FD. */
class HipparchusFormsTest {

    @Test
    void rosenbrockWithDenseAndSparseGradientsMatchesTheAnalyticGradient() {
        double[] x = {0.3, -1.2, 2.0, 0.7};
        Gradient[] dense = new Gradient[x.length];
        SparseGradient[] sparse = new SparseGradient[x.length];
        for (int i = 0; i < x.length; i++) {
            dense[i] = Gradient.variable(x.length, i, x[i]);
            sparse[i] = SparseGradient.createVariable(i, x[i]);
        }
        Gradient g = HipparchusForms.rosenbrock(dense, new Object[] {x});
        SparseGradient s = HipparchusForms.rosenbrock(sparse, new Object[] {x});
        assertEquals(Rosenbrock.rosenbrock(x), g.getValue(), 1e-13);
        assertEquals(Rosenbrock.rosenbrock(x), s.getValue(), 1e-13);
        for (int i = 0; i < x.length; i++) {
            double expected = (i + 1 < x.length ? -400 * x[i] * (x[i + 1] - x[i] * x[i]) - 2 * (1 - x[i]) : 0)
                    + (i > 0 ? 200 * (x[i] - x[i - 1] * x[i - 1]) : 0);
            assertEquals(expected, g.getGradient()[i], 1e-12, "dense component " + i);
            assertEquals(expected, s.getDerivative(i), 1e-12, "sparse component " + i);
        }
    }

    @Test
    void transcendentalLoopAndLogisticRegressionMatchTheJavaMethodsAndFiniteDifferences() {
        Object[] args = {0.7, 1.3, 0.4, 200};
        Gradient[] abc = {Gradient.variable(3, 0, 0.7), Gradient.variable(3, 1, 1.3), Gradient.variable(3, 2, 0.4)};
        Gradient c = HipparchusForms.composite(abc, args);
        assertEquals(TranscendentalLoop.composite(0.7, 1.3, 0.4, 200), c.getValue(), 1e-12);
        double h = 1e-6;
        double fd = (TranscendentalLoop.composite(0.7, 1.3 + h, 0.4, 200)
                - TranscendentalLoop.composite(0.7, 1.3 - h, 0.4, 200)) / (2 * h);
        assertEquals(fd, c.getGradient()[1], 1e-6 * Math.max(1, Math.abs(fd)));

        double[] w = {0.1, -0.2, 0.05};
        double[] X = {1, 2, -1, 0.5, 3, -2};
        double[] y = {1, -1, 1};
        Gradient[] active = new Gradient[w.length];
        for (int i = 0; i < w.length; i++) {
            active[i] = Gradient.variable(w.length, i, w[i]);
        }
        Gradient l = HipparchusForms.logreg(active, new Object[] {w, X, y, 3, 2});
        assertEquals(LogisticRegression.logreg(w, X, y, 3, 2), l.getValue(), 1e-14);
        double[] up = w.clone(), down = w.clone();
        up[0] += h;
        down[0] -= h;
        assertEquals((LogisticRegression.logreg(up, X, y, 3, 2) - LogisticRegression.logreg(down, X, y, 3, 2)) / (2 * h),
                l.getGradient()[0], 1e-8);
    }
}
