package jenzyme.hipparchus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jenzyme.runtime.Jacobian;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.api.Gradient;
import jenzyme.runtime.api.JEnzyme;
import org.hipparchus.ode.ExpandableODE;
import org.hipparchus.ode.ODEJacobiansProvider;
import org.hipparchus.ode.ODEState;
import org.hipparchus.ode.ODEStateAndDerivative;
import org.hipparchus.ode.VariationalEquation;
import org.hipparchus.ode.nonstiff.DormandPrince853Integrator;
import org.hipparchus.optim.InitialGuess;
import org.hipparchus.optim.MaxEval;
import org.hipparchus.optim.PointValuePair;
import org.hipparchus.optim.SimpleValueChecker;
import org.hipparchus.optim.nonlinear.scalar.GoalType;
import org.hipparchus.optim.nonlinear.scalar.gradient.NonLinearConjugateGradientOptimizer;
import org.hipparchus.optim.nonlinear.vector.leastsquares.GaussNewtonOptimizer;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresOptimizer.Optimum;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresProblem;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LevenbergMarquardtOptimizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hipparchus's optimisers and integrators on derivatives compiled from {@link Models} by the real Enzyme worker,
 * through the bridge, as a program would use them (issue 13, item 4).
 */
class HipparchusBridgeDerivativesTest {

    private static JEnzyme ad;

    @BeforeAll
    static void start() {
        ad = JEnzyme.create();
    }

    @AfterAll
    static void stop() {
        ad.close();
    }

    /** Noise-free substrate data from Vmax = 1.3, Km = 0.6, S(0) = 2, at t = 0.5, 1, ..., 8. */
    private static final double[] TRUTH = {1.3, 0.6};
    private static final double[] TIMES = java.util.stream.IntStream.rangeClosed(1, 16).mapToDouble(k -> 0.5 * k)
            .toArray();
    private static final double S0 = 2, H = 0.01;

    private static LeastSquaresProblem substrateFit(Jacobian jacobian, double[] start) {
        double[] data = new double[TIMES.length];
        double[] clean = Models.substrateResiduals(TRUTH, TIMES, data, S0, H);
        return HipparchusBridge.leastSquares(q -> Models.substrateResiduals(q, TIMES, clean, S0, H), q -> {
            double[][] j = new double[TIMES.length][2];
            jacobian.into(j, q, TIMES, clean, S0, H);
            return j;
        }, start).build();
    }

    /** LM from (Vmax, Km) = (0.5, 2.5), far from the truth (1.3, 0.6), recovers it; so does Gauss–Newton from (1, 1). */
    @Test
    void levenbergMarquardtAndGaussNewtonRecoverTheParametersOfNoiseFreeData() {
        try (Jacobian jacobian = ad.jacobian(Models.class, "substrateResiduals")) {
            assertEquals(Mode.FORWARD, jacobian.modeFor(TIMES.length, 2), "16 outputs of 2 inputs: forward mode");
            Optimum lm = new LevenbergMarquardtOptimizer().optimize(substrateFit(jacobian, new double[] {0.5, 2.5}));
            assertArrayEquals(TRUTH, lm.getPoint().toArray(), 1e-9, "LM after " + lm.getIterations() + " iterations");
            assertTrue(lm.getRMS() < 1e-10, "RMS " + lm.getRMS());

            Optimum gn = new GaussNewtonOptimizer().optimize(substrateFit(jacobian, new double[] {1, 1}));
            assertArrayEquals(TRUTH, gn.getPoint().toArray(), 1e-9, "GN after " + gn.getIterations() + " iterations");

            // The Jacobian the optimiser used is the AD one: at the truth it matches central differences.
            double[][] ad = new double[TIMES.length][2];
            double[] zero = new double[TIMES.length];
            jacobian.into(ad, TRUTH, TIMES, zero, S0, H);
            for (int j = 0; j < 2; j++) {
                double[] plus = TRUTH.clone(), minus = TRUTH.clone();
                plus[j] += 1e-6;
                minus[j] -= 1e-6;
                double[] rp = Models.substrateResiduals(plus, TIMES, zero, S0, H);
                double[] rm = Models.substrateResiduals(minus, TIMES, zero, S0, H);
                for (int i = 0; i < TIMES.length; i++) {
                    assertEquals((rp[i] - rm[i]) / 2e-6, ad[i][j], 1e-7, "dr" + i + "/dq" + j);
                }
            }
        }
    }

    /** Non-linear CG (Polak–Ribière) on the 4-D Rosenbrock function from (−1.2, 1, −1.2, 1) reaches (1, 1, 1, 1). */
    @Test
    void nonLinearConjugateGradientReachesTheRosenbrockMinimum() {
        try (Gradient gradient = ad.reverse(Models.class, "rosenbrock")) {
            var rosenbrock = HipparchusBridge.objective((x, g) -> gradient.valueAndGradient(x, g));
            var optimizer = new NonLinearConjugateGradientOptimizer(
                    NonLinearConjugateGradientOptimizer.Formula.POLAK_RIBIERE, new SimpleValueChecker(1e-16, 1e-16));
            PointValuePair minimum = optimizer.optimize(rosenbrock.with(GoalType.MINIMIZE,
                    new InitialGuess(new double[] {-1.2, 1, -1.2, 1}), new MaxEval(100_000)));
            assertArrayEquals(new double[] {1, 1, 1, 1}, minimum.getPoint(), 1e-5,
                    "after " + optimizer.getEvaluations() + " evaluations");
            assertTrue(minimum.getValue() < 1e-10, "f = " + minimum.getValue());
        }
    }

    /**
     * Lotka–Volterra to T = 5: Hipparchus's variational equations, fed the AD Jacobians ∂f/∂y and ∂f/∂p through the
     * bridge and integrated by Dormand–Prince 8(5,3) at tolerance 1e-12, against reverse mode through an RK4 of
     * 5000 steps (its own error is about 1e-12 here): ∂y(T)/∂p and ∂y(T)/∂y0 agree to 1e-8.
     */
    @Test
    void variationalEquationSensitivitiesEqualReverseModeThroughTheIntegrator() {
        double[] p = {1.1, 0.4, 0.1, 0.4};
        double[] y0 = {10, 5};
        double T = 5;
        List<String> names = List.of("alpha", "beta", "delta", "gamma");
        try (Jacobian dfdy = ad.jacobian(Models.class, "lotkaVolterra", JacobianOptions.DEFAULT.withWrt("y"));
             Jacobian dfdp = ad.jacobian(Models.class, "lotkaVolterra",
                     JacobianOptions.DEFAULT.withWrt("p").withMode(Mode.REVERSE));
             Gradient state = ad.reverse(Models.class, "lotkaVolterraState")) {
            ODEJacobiansProvider ode = HipparchusBridge.ode(2, (t, y) -> Models.lotkaVolterra(t, y, p),
                    (t, y) -> into(dfdy, 2, 2, t, y, p), (t, y) -> into(dfdp, 2, 4, t, y, p),
                    names.toArray(String[]::new));
            ExpandableODE expandable = new ExpandableODE(ode);
            VariationalEquation variational = new VariationalEquation(expandable, ode);
            ODEStateAndDerivative end = new DormandPrince853Integrator(1e-8, 1, 1e-12, 1e-12)
                    .integrate(expandable, variational.setUpInitialState(new ODEState(0, y0)), T);
            double[][] dyDy0 = variational.extractMainSetJacobian(end);
            double[][] dyDp = columns(variational, end, names);

            for (int component = 0; component < 2; component++) {
                double[] gp = new double[4], gy0 = new double[2]; // the shadows of p and y0 receive the gradient
                state.invoke(p, gp, y0, gy0, T, 5000, component);
                double value = Models.lotkaVolterraState(p, y0, T, 5000, component);
                assertEquals(value, end.getPrimaryState()[component], 1e-8 * Math.abs(value), "y" + component);
                assertClose(gp, dyDp[component], "∂y" + component + "(T)/∂p");
                assertClose(gy0, dyDy0[component], "∂y" + component + "(T)/∂y0");
            }
        }
    }

    private static double[][] columns(VariationalEquation variational, ODEStateAndDerivative end, List<String> names) {
        double[][] rows = new double[2][names.size()];
        for (int j = 0; j < names.size(); j++) {
            double[] column = variational.extractParameterJacobian(end, names.get(j));
            rows[0][j] = column[0];
            rows[1][j] = column[1];
        }
        return rows;
    }

    private static double[][] into(Jacobian jacobian, int rows, int columns, double t, double[] y, double[] p) {
        double[][] j = new double[rows][columns];
        jacobian.into(j, t, y, p);
        return j;
    }

    /** Agreement to 1e-8 relative to the largest entry. */
    private static void assertClose(double[] expected, double[] actual, String what) {
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-8 * scale, what + "[" + i + "] of " + java.util.Arrays.toString(actual));
        }
    }
}
