package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.HessianVectorChecks;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * H·v in the parameters only, the data Const (qa7 R7: {@code %autodiff hvp tll x=Const y=Const}): the data take no
 * direction and give no part of H·v; H·v against central differences of the reverse gradient. A logistic loss, exp
 * and log1p in its loop, against its analytic Hessian: Enzyme refused it as "mixed activity" while the gradient it
 * differentiates taped the exp results (DifferentiationOptions#withTapedMathResults).
 */
class HessianConstDataTest {

    private static final String SOURCE = """
            package hcd;
            public class Ll {
                /** Negative log-likelihood of y under a quadratic in x with errors of density ~ exp(-r^2 - r^4 / 10). */
                public static double nll(double[] th, double[] x, double[] y) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) {
                        double r = y[i] - (th[0] + th[1] * x[i] + th[2] * x[i] * x[i]);
                        s += r * r + 0.1 * r * r * r * r;
                    }
                    return s;
                }
                /** Logistic regression's loss, log(1 + e^z) - y z for z = w0 + w1 x. */
                public static double logistic(double[] w, double[] x, double[] y) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) {
                        double z = w[0] + w[1] * x[i];
                        s += Math.log1p(Math.exp(z)) - y[i] * z;
                    }
                    return s;
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("hcd.Ll", SOURCE);
    }

    @Test
    void hessianVectorProductInTheParametersOnlyMatchesDifferencesOfTheGradient() throws Throwable {
        JavaMethod nll = new JavaMethod(classes, "hcd/Ll", "nll", "([D[D[D)D");
        Map<String, Activity> data = Map.of("x", Activity.CONST, "y", Activity.CONST);
        try (Derivative hvp = pipeline.hvp(nll, data);
             Derivative gradient = pipeline.differentiate(nll, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT)) {
            assertEquals(MethodType.methodType(void.class, double[].class, double[].class, double[].class,
                    double[].class, double[].class, double[].class), hvp.handle().type(), "no direction for x or y");
            Random random = new Random(17);
            double[] x = random.doubles(50, -2, 2).toArray();
            double[] y = random.doubles(50, -1, 1).toArray();
            double[] out = new double[1];
            for (int trial = 0; trial < 10; trial++) {
                double[] th = random.doubles(3, -1, 1).toArray(), v = random.doubles(3, -1, 1).toArray();
                double[] hv = new double[3];
                hvp.handle().invoke(th, v, hv, x.clone(), y.clone(), out);
                double[] gOut = new double[gradient.convention().slots().size()];
                HessianVectorChecks.assertAgreesWithDifferencesOfTheGradient(hv, at -> {
                    double[] dth = new double[3];
                    gradient.handle().invoke(at, dth, x, new double[x.length], y, new double[y.length], gOut);
                    return dth;
                }, th, v, "trial " + trial);
                assertTrue(hv[0] != 0 || hv[1] != 0 || hv[2] != 0);
            }
        }
    }

    /** H = sum of s(1 - s) [1 x; x x^2] with s = 1 / (1 + e^-z), for data of several lengths. */
    @Test
    void hessianVectorProductOfALogisticLossMatchesItsAnalyticHessian() throws Throwable {
        JavaMethod logistic = new JavaMethod(classes, "hcd/Ll", "logistic", "([D[D[D)D");
        try (Derivative hvp = pipeline.hvp(logistic, Map.of("x", Activity.CONST, "y", Activity.CONST))) {
            Random random = new Random(23);
            for (int n : new int[] {1, 7, 60}) {
                double[] x = random.doubles(n, -2, 2).toArray(), y = random.doubles(n, 0, 1).toArray();
                double[] w = random.doubles(2, -1, 1).toArray(), v = random.doubles(2, -1, 1).toArray();
                double[] hv = new double[2], out = new double[1];
                hvp.handle().invoke(w, v, hv, x, y, out);
                double[] expected = new double[2];
                for (int i = 0; i < n; i++) {
                    double s = 1 / (1 + Math.exp(-(w[0] + w[1] * x[i]))), c = s * (1 - s);
                    expected[0] += c * (v[0] + x[i] * v[1]);
                    expected[1] += c * x[i] * (v[0] + x[i] * v[1]);
                }
                for (int k = 0; k < 2; k++) {
                    assertEquals(expected[k], hv[k], 1e-12 * (1 + Math.abs(expected[k])), "n=" + n + ", (H v)_" + k);
                }
            }
        }
    }

    @Test
    void onlyConstActivitiesAreTaken() {
        JavaMethod nll = new JavaMethod(classes, "hcd/Ll", "nll", "([D[D[D)D");
        DifferentiationException refused = assertThrows(DifferentiationException.class,
                () -> pipeline.hvp(nll, Map.of("x", Activity.DUPLICATED)).close());
        assertTrue(refused.getMessage().endsWith("%autodiff hvp takes only Const activities of array parameters "
                + "(d=Const keeps d out of H·v): got x=duplicated"), refused.getMessage());
    }
}
