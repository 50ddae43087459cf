package jenzyme.magics.gradcheck;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GradCheckTest {

    static final ToDoubleFunction<double[]> ROSENBROCK = x -> {
        double s = 0;
        for (int i = 0; i + 1 < x.length; i++) {
            s += 100 * Math.pow(x[i + 1] - x[i] * x[i], 2) + Math.pow(1 - x[i], 2);
        }
        return s;
    };

    static final Function<double[], double[]> ROSENBROCK_GRADIENT = x -> {
        double[] g = new double[x.length];
        for (int i = 0; i + 1 < x.length; i++) {
            g[i] += -400 * x[i] * (x[i + 1] - x[i] * x[i]) - 2 * (1 - x[i]);
            g[i + 1] += 200 * (x[i + 1] - x[i] * x[i]);
        }
        return g;
    };

    @Test
    void correctRosenbrockGradientPassesAtTheClassicStartAndAtRandomPoints() {
        GradCheckResult result = GradCheck.of(ROSENBROCK, ROSENBROCK_GRADIENT)
                .at(new double[] {-1.2, 1})
                .randomPoints(5, 2, -2, 2)
                .run();
        assertTrue(result.passed(), result::toString);
        assertEquals(6, result.points().size());
        assertEquals(12, result.components().size());
        assertTrue(result.maxRelError() < 1e-8, "central differences agree to ~1e-10 here: " + result.maxRelError());
        // At (-1.2, 1): ∂f/∂x0 = -215.6, ∂f/∂x1 = -88, f = 24.2.
        PointCheck start = result.points().get(0);
        assertEquals(24.2, start.value(), 1e-12);
        assertEquals(-215.6, start.components().get(0).ad(), 1e-12);
        assertEquals(-215.6, start.components().get(0).fd(), 1e-6);
        assertEquals(-88, start.components().get(1).fd(), 1e-6);
    }

    @Test
    void correctGradientsOfSeveralSmoothFunctionsPassInFiveDimensions() {
        List<ToDoubleFunction<double[]>> fs = List.of(
                x -> Math.exp(x[0]) * Math.sin(x[1]) + x[2] * x[3] * x[4],
                x -> Math.log(1 + x[0] * x[0] + x[1] * x[1]) + Math.tanh(x[2] - x[3]) * Math.cos(x[4]),
                x -> Math.hypot(x[0], x[1]) + Math.atan2(x[2], 2 + x[3]) + Math.pow(1.5 + x[4], 2.5));
        List<Function<double[], double[]>> gradients = List.of(
                x -> new double[] {Math.exp(x[0]) * Math.sin(x[1]), Math.exp(x[0]) * Math.cos(x[1]), x[3] * x[4],
                        x[2] * x[4], x[2] * x[3]},
                x -> {
                    double q = 1 + x[0] * x[0] + x[1] * x[1], t = Math.tanh(x[2] - x[3]), sech2 = 1 - t * t;
                    return new double[] {2 * x[0] / q, 2 * x[1] / q, sech2 * Math.cos(x[4]), -sech2 * Math.cos(x[4]),
                            -t * Math.sin(x[4])};
                },
                x -> {
                    double r = Math.hypot(x[0], x[1]), d = (2 + x[3]) * (2 + x[3]) + x[2] * x[2];
                    return new double[] {x[0] / r, x[1] / r, (2 + x[3]) / d, -x[2] / d, 2.5 * Math.pow(1.5 + x[4], 1.5)};
                });
        for (int k = 0; k < fs.size(); k++) {
            GradCheckResult result = GradCheck.of(fs.get(k), gradients.get(k)).randomPoints(8, 5, -1, 1).seed(k).run();
            assertTrue(result.passed(), "function " + k + ":\n" + result);
            assertTrue(result.maxRelError() < 1e-7, "function " + k + ": " + result.maxRelError());
        }
    }

    @Test
    void wrongGradientFailsExactlyAtTheWrongComponent() {
        // Bug in ∂f/∂x1 only: 201 instead of 200.
        Function<double[], double[]> buggy = x -> {
            double[] g = ROSENBROCK_GRADIENT.apply(x);
            g[1] = 201 * (x[1] - x[0] * x[0]);
            return g;
        };
        GradCheckResult result = GradCheck.of(ROSENBROCK, buggy).at(new double[] {-1.2, 1}, new double[] {0.3, 0.7}).run();
        assertFalse(result.passed());
        assertEquals(2, result.failures().size());
        for (ComponentCheck failure : result.failures()) {
            assertEquals(1, failure.component());
            assertEquals(1.0 / 201, failure.relError(), 1e-6, "relative error of a 200-vs-201 slip");
        }
        assertTrue(result.points().stream().allMatch(p -> p.components().get(0).passed()), "component 0 is right");
        assertTrue(result.summary().startsWith("gradcheck FAILED: 2 of 4 components; worst: point "),
                result.summary());
    }

    @Test
    void aOnePartInTenThousandErrorIsCaughtButFiniteDifferenceNoiseIsNot() {
        ToDoubleFunction<double[]> f = x -> Math.sin(x[0]) * Math.exp(x[1]);
        Function<double[], double[]> exact = x -> new double[] {Math.cos(x[0]) * Math.exp(x[1]), Math.sin(x[0]) * Math.exp(x[1])};
        Function<double[], double[]> slightlyOff = x -> {
            double[] g = exact.apply(x);
            g[0] *= 1 + 1e-4;
            return g;
        };
        assertTrue(GradCheck.of(f, exact).randomPoints(20, 2, -3, 3).run().passed());
        GradCheckResult off = GradCheck.of(f, slightlyOff).randomPoints(20, 2, -3, 3).run();
        assertEquals(20, off.failures().size());
        assertTrue(off.failures().stream().allMatch(c -> c.component() == 0));
    }

    @Test
    void zeroDerivativesAtStationaryPointsPassThoughTheirDifferenceQuotientIsPureError() {
        // f = x0^3 + x1^2 at the origin: both partials are 0, and D(h) for x0 is h^2 (truncation error, not 0),
        // so a plain relative error |g − D| / max(|g|, |D|) would be 1.
        ToDoubleFunction<double[]> f = x -> x[0] * x[0] * x[0] + x[1] * x[1] + 3 * x[2];
        Function<double[], double[]> g = x -> new double[] {3 * x[0] * x[0], 2 * x[1], 3};
        GradCheckResult result = GradCheck.of(f, g).at(new double[] {0, 0, 0}).run();
        assertTrue(result.passed(), result::toString);
        ComponentCheck cubic = result.points().get(0).components().get(0);
        double h = CentralDifference.DEFAULT_STEP;
        assertEquals(h * h, cubic.fd(), 1e-3 * h * h, "D(h) of x^3 at 0 is exactly h^2 up to rounding");
        assertEquals(h * h, cubic.fdError(), 1e-3 * h * h, "the Richardson estimate recovers that error");
        assertEquals(1, cubic.absError() / Math.max(Math.abs(cubic.ad()), Math.abs(cubic.fd())), 1e-12,
                "naive relative error would be 1");
        assertTrue(cubic.relError() <= result.tolerance(), "reported relative error " + cubic.relError());
        // But a gradient that is wrong at the stationary point still fails there.
        GradCheckResult wrong = GradCheck.of(f, x -> new double[] {1e-6, 0, 3}).at(new double[] {0, 0, 0}).run();
        assertEquals(List.of(0), wrong.failures().stream().map(ComponentCheck::component).toList());
    }

    @Test
    void functionsOfTinyScaleAreJudgedRelativeToTheirOwnScale() {
        // f ~ 1e-12: an absolute tolerance such as 1e-8 would pass any gradient; this check must not.
        ToDoubleFunction<double[]> f = x -> 1e-12 * (x[0] * x[0] + Math.sin(x[1]));
        Function<double[], double[]> right = x -> new double[] {2e-12 * x[0], 1e-12 * Math.cos(x[1])};
        Function<double[], double[]> wrong = x -> new double[] {2e-12 * x[0], 1.01e-12 * Math.cos(x[1])};
        assertTrue(GradCheck.of(f, right).randomPoints(5, 2, -1, 1).run().passed());
        GradCheckResult result = GradCheck.of(f, wrong).randomPoints(5, 2, -1, 1).run();
        assertEquals(5, result.failures().size());
    }

    @Test
    void nanGradientsFailInsteadOfThrowing() {
        GradCheckResult result = GradCheck.of(x -> x[0], x -> new double[] {Double.NaN}).at(new double[] {1}).run();
        assertFalse(result.passed());
        assertTrue(Double.isNaN(result.maxRelError()));
        assertTrue(Double.isNaN(result.worst().ad()));
    }

    @Test
    void randomPointsAreReproducibleInsideTheBoxAndDependOnTheSeed() {
        GradCheck check = GradCheck.of(ROSENBROCK, ROSENBROCK_GRADIENT)
                .randomPoints(10, new double[] {-1, 10}, new double[] {1, 10.5});
        List<double[]> a = check.run().points().stream().map(PointCheck::x).toList();
        List<double[]> b = check.run().points().stream().map(PointCheck::x).toList();
        List<double[]> c = check.seed(7).run().points().stream().map(PointCheck::x).toList();
        for (int k = 0; k < 10; k++) {
            assertArrayEquals(a.get(k), b.get(k), 0);
            assertTrue(a.get(k)[0] >= -1 && a.get(k)[0] < 1 && a.get(k)[1] >= 10 && a.get(k)[1] < 10.5);
        }
        assertNotEquals(a.get(0)[0], c.get(0)[0]);
    }

    @Test
    void theFunctionNeverSeesTheCallersArrayAndMayScribbleOnItsOwn() {
        double[] x0 = {0.3, -0.4};
        ToDoubleFunction<double[]> scribbling = x -> {
            double v = x[0] * x[0] + 3 * x[1];
            x[0] = 1e9;
            return v;
        };
        GradCheckResult result = GradCheck.of(scribbling, x -> new double[] {2 * x[0], 3}).at(x0).run();
        assertTrue(result.passed(), result::toString);
        assertArrayEquals(new double[] {0.3, -0.4}, x0, 0);
    }

    @Test
    void contractViolationsAreReportedWithThePoint() {
        GradCheck check = GradCheck.of(ROSENBROCK, x -> new double[1]);
        assertEquals("the gradient at point 0: expected 2 components (the point's dimension), got 1",
                assertThrows(GradCheckException.class, () -> check.at(new double[] {1, 2}).run()).getMessage());
        assertEquals("no points to check: add .at(x0) or .randomPoints(count, lower, upper)",
                assertThrows(IllegalStateException.class, check::run).getMessage());
        assertEquals("point 1: expected dimension 2 like point 0, got 3",
                assertThrows(IllegalArgumentException.class,
                        () -> GradCheck.of(ROSENBROCK, ROSENBROCK_GRADIENT).at(new double[2], new double[3]).run())
                        .getMessage());
        assertEquals("at: point 0: coordinate 1 must be finite, got NaN",
                assertThrows(IllegalArgumentException.class, () -> check.at(new double[] {0, Double.NaN})).getMessage());
        GradCheckException thrown = assertThrows(GradCheckException.class,
                () -> GradCheck.of(x -> { throw new IllegalStateException("no"); }, x -> x).at(new double[] {1.5}).run());
        assertEquals("f threw at point 0 [1.5]: java.lang.IllegalStateException: no", thrown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> check.step(0));
        assertThrows(IllegalArgumentException.class, () -> check.tolerance(2));
        assertThrows(IllegalArgumentException.class, () -> check.randomPoints(0, 2, -1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> check.randomPoints(3, new double[] {1, 0}, new double[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> GradCheck.of(null, x -> x));
    }
}
