package jenzyme.runtime.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import jenzyme.runtime.error.LoweringException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The plain-Java facade on methods of this test's own class (class bytes read from its class loader, as a program's
 * would be), through the real Enzyme worker, checked against analytic gradients.
 */
class JEnzymeTest {

    /** A program's model: compiled by Maven with the rest of the tests, not in memory. */
    static final class Models {
        static double rosenbrock(double[] p) {
            double s = 0;
            for (int i = 0; i + 1 < p.length; i++) {
                double u = p[i + 1] - p[i] * p[i], v = 1 - p[i];
                s += 100 * u * u + v * v;
            }
            return s;
        }

        /** Least squares of tanh(a t + b) against y. */
        static double tanhLoss(double[] p, double[] t, double[] y) {
            double s = 0;
            for (int i = 0; i < t.length; i++) s += Math.pow(Math.tanh(p[0] * t[i] + p[1]) - y[i], 2);
            return s;
        }

        static double twoScalars(double x, double y) {
            return x * Math.sin(y);
        }
    }

    private static JEnzyme ad;

    @BeforeAll
    static void start() {
        ad = JEnzyme.create();
    }

    @AfterAll
    static void stop() {
        ad.close();
    }

    @Test
    void reverseGivesTheValueAndTheAnalyticGradient() {
        Gradient g = ad.reverse(Models.class, "rosenbrock");
        Random random = new Random(1);
        double[] p = random.doubles(50, -2, 2).toArray();
        double[] dp = random.doubles(50).toArray(); // garbage: must be overwritten, not accumulated
        double value = g.valueAndGradient(p, dp);
        assertEquals(Models.rosenbrock(p), value, 1e-12 * Math.abs(value));
        for (int i = 0; i < p.length; i++) {
            double expected = (i > 0 ? 200 * (p[i] - p[i - 1] * p[i - 1]) : 0)
                    + (i + 1 < p.length ? -400 * p[i] * (p[i + 1] - p[i] * p[i]) - 2 * (1 - p[i]) : 0);
            assertEquals(expected, dp[i], 1e-12 * (1 + Math.abs(expected)), "d/dp[" + i + "]");
        }
    }

    /** The overwriting handle, as a program calls it in a hot loop: the gradient written over what dp held. */
    @Test
    void theOverwritingHandleWritesTheGradientOverGarbage() throws Throwable {
        Gradient g = ad.reverse(Models.class, "rosenbrock");
        java.lang.invoke.MethodHandle written = g.overwritingHandle().orElseThrow();
        Random random = new Random(4);
        double[] p = random.doubles(50, -2, 2).toArray(), dp = new double[50], out = new double[1];
        Arrays.fill(dp, Double.NaN);
        for (int call = 0; call < 3; call++) { // a second call writes the same gradient, it does not add to it
            written.invokeExact(p, dp, out);
        }
        double[] added = new double[50], outAdded = new double[1];
        g.handle().invokeExact(p, added, outAdded); // the accumulating handle, on zeros
        assertEquals(outAdded[0], out[0], 0);
        assertArrayEquals(added, dp, 0);
        assertEquals(Models.rosenbrock(p), out[0], 1e-12 * Math.abs(out[0]));
    }

    /** Issue 14: one binding called from many threads gives each call its own, correct result. */
    @Test
    void aBatchOfGradientsRunsAcrossThreadsWithTheSingleThreadResults() throws Exception {
        Gradient g = ad.reverse(Models.class, "rosenbrock");
        Random random = new Random(2);
        double[][] points = new double[64][];
        double[][] expected = new double[64][];
        double[] values = new double[64];
        for (int i = 0; i < points.length; i++) {
            points[i] = random.doubles(300, -2, 2).toArray();
            expected[i] = new double[300];
            values[i] = g.valueAndGradient(points[i], expected[i]);
        }
        double[][] gradients = new double[64][300];
        assertArrayEquals(values, g.valuesAndGradients(points, gradients));
        for (int i = 0; i < points.length; i++) {
            assertArrayEquals(expected[i], gradients[i], "point " + i);
        }
        // Four threads hammering the same binding, each checking every result against the single-threaded one.
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            var failures = new java.util.concurrent.atomic.AtomicInteger();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                pool.submit(() -> {
                    double[] dp = new double[300];
                    for (int k = 0; k < 500; k++) {
                        int i = (k + offset * 16) % points.length;
                        if (g.valueAndGradient(points[i], dp) != values[i] || !Arrays.equals(dp, expected[i])) {
                            failures.incrementAndGet();
                        }
                    }
                });
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(0, failures.get(), "calls that saw another thread's result");
        }
        var mismatch = assertThrows(IllegalArgumentException.class,
                () -> g.valuesAndGradients(points, new double[3][300]));
        assertEquals("expected one gradient array per point, got 64 points and 3 gradient arrays", mismatch.getMessage());
    }

    @Test
    void constantsGetNoGradientAndArePassedAfterTheShadow() {
        Gradient g = ad.reverse(Models.class, "tanhLoss", "t", "y");
        double[] t = {-1, 0, 0.5, 1, 2}, y = {-0.6, 0.1, 0.4, 0.7, 0.9}, p = {0.8, 0.2}, dp = new double[2];
        double value = g.valueAndGradient(p, dp, t, y);
        double loss = 0, da = 0, db = 0;
        for (int i = 0; i < t.length; i++) {
            double th = Math.tanh(p[0] * t[i] + p[1]), r = th - y[i], dr = 2 * r * (1 - th * th);
            loss += r * r;
            da += dr * t[i];
            db += dr;
        }
        assertEquals(loss, value, 1e-13);
        assertEquals(da, dp[0], 1e-12);
        assertEquals(db, dp[1], 1e-12);
    }

    @Test
    void forwardGivesTheDirectionalDerivative() {
        Tangent f = ad.forward(Models.class, "tanhLoss", "t", "y");
        double[] t = {0, 1, 2}, y = {0.1, 0.5, 0.8}, p = {1.3, -0.4}, v = {0.3, -2};
        Tangent.ValueAndDerivative r = f.valueAndDerivative(p, v, t, y);
        double expected = 0;
        for (int i = 0; i < t.length; i++) {
            double th = Math.tanh(p[0] * t[i] + p[1]);
            expected += 2 * (th - y[i]) * (1 - th * th) * (t[i] * v[0] + v[1]);
        }
        assertEquals(Models.tanhLoss(p, t, y), r.value(), 1e-14);
        assertEquals(expected, r.derivative(), 1e-12);
    }

    @Test
    void scalarParametersGoThroughInvoke() {
        double[] out = ad.reverse(Models.class, "twoScalars").invoke(2.0, 0.5);
        assertEquals(2 * Math.sin(0.5), out[0], 1e-15, "value");
        assertEquals(Math.sin(0.5), out[1], 1e-15, "d/dx");
        assertEquals(2 * Math.cos(0.5), out[2], 1e-15, "d/dy");
    }

    @Test
    void misuseIsExplainedInJavaWords() {
        var shape = assertThrows(IllegalArgumentException.class,
                () -> ad.reverse(Models.class, "twoScalars").valueAndGradient(new double[1], new double[1]));
        assertTrue(shape.getMessage().contains("to take a double[] of parameters first"), shape.getMessage());
        var missing = assertThrows(LoweringException.class, () -> ad.reverse(Models.class, "nosuch"));
        assertTrue(missing.getMessage().contains("nosuch"), missing.getMessage());
        var count = assertThrows(IllegalArgumentException.class,
                () -> ad.reverse(Models.class, "tanhLoss", "t", "y").valueAndGradient(new double[2], new double[2]));
        assertTrue(count.getMessage().contains("0 further constant argument(s)"), count.getMessage());
    }

    @Test
    void aMissingWorkerSaysHowToFindAndBuildIt() {
        var unset = assertThrows(IllegalStateException.class, () -> JEnzyme.locateWorker(null, " "));
        assertTrue(unset.getMessage().contains("neither -Djenzyme.worker nor JENZYME_WORKER is set"),
                unset.getMessage());
        assertTrue(unset.getMessage().contains("Run ./test or ./run once"), unset.getMessage());
        var wrong = assertThrows(IllegalStateException.class, () -> JEnzyme.locateWorker("/nonexistent/w", "x"));
        assertTrue(wrong.getMessage().startsWith("-Djenzyme.worker names /nonexistent/w, which is not an executable"),
                wrong.getMessage());
    }
}
