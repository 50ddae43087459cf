package jenzyme.hipparchus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;
import org.hipparchus.linear.ArrayRealVector;
import org.hipparchus.ode.ExpandableODE;
import org.hipparchus.ode.ODEJacobiansProvider;
import org.hipparchus.ode.ODEState;
import org.hipparchus.ode.OrdinaryDifferentialEquation;
import org.hipparchus.ode.VariationalEquation;
import org.hipparchus.ode.nonstiff.ClassicalRungeKuttaIntegrator;
import org.hipparchus.optim.InitialGuess;
import org.hipparchus.optim.nonlinear.scalar.GoalType;
import org.junit.jupiter.api.Test;

/** The bridge's own logic on hand-written derivatives (no compiled code): caching, shapes and messages. */
class HipparchusBridgeTest {

    @Test
    void anOptimiserAskingForValueAndGradientAtOnePointPaysOneSweep() {
        AtomicInteger sweeps = new AtomicInteger();
        var objective = HipparchusBridge.objective((x, g) -> {
            sweeps.incrementAndGet();
            g[0] += 2 * x[0]; // accumulates like f_grad_into: the bridge hands it a zeroed array
            return x[0] * x[0];
        });
        double[] x = {3};
        assertEquals(9, objective.function().getObjectiveFunction().value(x));
        assertArrayEquals(new double[] {6}, objective.gradient().getObjectiveFunctionGradient().value(x));
        assertArrayEquals(new double[] {6}, objective.gradient().getObjectiveFunctionGradient().value(x.clone()));
        assertEquals(1, sweeps.get());
        x[0] = 4; // the same array, new contents: a new point
        assertArrayEquals(new double[] {8}, objective.gradient().getObjectiveFunctionGradient().value(x));
        assertEquals(2, sweeps.get());
        double[] handedOut = objective.gradient().getObjectiveFunctionGradient().value(x);
        handedOut[0] = -handedOut[0]; // Hipparchus owns it: its conjugate gradient negates it in place
        assertArrayEquals(new double[] {8}, objective.gradient().getObjectiveFunctionGradient().value(x));
        assertEquals(2, sweeps.get());
        var data = objective.with(GoalType.MINIMIZE, new InitialGuess(x));
        assertEquals(4, data.length);
        assertEquals(objective.function(), data[0]);
        assertEquals(GoalType.MINIMIZE, data[2]);
    }

    /** A sweep that throws leaves no point known: the next call at that point sweeps again, into zeroed buffers. */
    @Test
    void aFailedSweepIsNotRemembered() {
        AtomicInteger sweeps = new AtomicInteger();
        var objective = HipparchusBridge.objective((x, g) -> {
            g[0] += 3 * x[0] * x[0];
            if (sweeps.incrementAndGet() == 2) {
                throw new ArithmeticException("second sweep");
            }
            return x[0] * x[0] * x[0];
        });
        var gradient = objective.gradient().getObjectiveFunctionGradient();
        assertArrayEquals(new double[] {3}, gradient.value(new double[] {1}));
        assertThrows(ArithmeticException.class, () -> gradient.value(new double[] {2}));
        assertArrayEquals(new double[] {12}, gradient.value(new double[] {2}));
        assertArrayEquals(new double[] {3}, gradient.value(new double[] {1}));
        assertEquals(8, objective.function().getObjectiveFunction().value(new double[] {2}));
        assertEquals(5, sweeps.get());
    }

    /** y′ = −a y + b: ∂f/∂(a, b) = (−y, 1), asked column by column, computed once per evaluation. */
    @Test
    void theParameterJacobianIsComputedOncePerEvaluationAndFollowsParameterChanges() {
        double[] ab = {0.5, 1};
        AtomicInteger matrices = new AtomicInteger(), evaluations = new AtomicInteger();
        ODEJacobiansProvider ode = HipparchusBridge.ode(1, (t, y) -> new double[] {-ab[0] * y[0] + ab[1]},
                (t, y) -> {
                    evaluations.incrementAndGet(); // VariationalEquation asks for ∂f/∂y once per evaluation
                    return new double[][] {{-ab[0]}};
                }, (t, y) -> {
                    matrices.incrementAndGet();
                    return new double[][] {{-y[0], 1}};
                }, "a", "b");
        double[] first = sensitivities(ode);
        // Exact solution y = b/a + (y0 − b/a) e^{−aT} with y0 = 0, T = 1; RK4 of 1000 steps is within 1e-12.
        double e = Math.exp(-ab[0]);
        assertArrayEquals(new double[] {ab[1] / (ab[0] * ab[0]) * (e - 1) + ab[1] / ab[0] * e, (1 - e) / ab[0]},
                first, 1e-10);
        assertEquals(evaluations.get(), matrices.get(), "one ∂f/∂p per evaluation, not one per column");

        ab[0] = 2; // a new integration with another parameter value must not reuse a matrix of the first
        double e2 = Math.exp(-2);
        assertArrayEquals(new double[] {ab[1] / 4 * (e2 - 1) + ab[1] / 2 * e2, (1 - e2) / 2}, sensitivities(ode),
                1e-10);
    }

    /** The plain ODE of a right-hand side, y′ = −a y + b from y(0) = 3, integrated to T = 2: the exact solution. */
    @Test
    void anOdeOfARightHandSideIntegratesToTheExactSolution() {
        double a = 0.5, b = 1;
        OrdinaryDifferentialEquation ode = HipparchusBridge.ode(1, (t, y) -> new double[] {-a * y[0] + b});
        double end = new ClassicalRungeKuttaIntegrator(1e-3).integrate(ode, new ODEState(0, new double[] {3}), 2)
                .getPrimaryState()[0];
        assertEquals(b / a + (3 - b / a) * Math.exp(-2 * a), end, 1e-10); // RK4 of 2000 steps: error ~1e-14
    }

    private static double[] sensitivities(ODEJacobiansProvider ode) {
        ExpandableODE expandable = new ExpandableODE(ode);
        VariationalEquation variational = new VariationalEquation(expandable, ode);
        var end = new ClassicalRungeKuttaIntegrator(1e-3).integrate(expandable,
                variational.setUpInitialState(new ODEState(0, new double[] {0})), 1);
        return new double[] {variational.extractParameterJacobian(end, "a")[0],
                variational.extractParameterJacobian(end, "b")[0]};
    }

    @Test
    void wrongShapesAreNamedInTheUsersTerms() {
        var model = HipparchusBridge.jacobianFunction(x -> new double[3], x -> new double[3][1]);
        var wrongJacobian = assertThrows(IllegalArgumentException.class,
                () -> model.value(new ArrayRealVector(new double[2])));
        assertEquals("expected the Jacobian to be 3 rows of 2 columns, got 3 rows of 1", wrongJacobian.getMessage());

        var ode = HipparchusBridge.ode(2, (t, y) -> new double[3]);
        var wrongRhs = assertThrows(IllegalArgumentException.class, () -> ode.computeDerivatives(0, new double[2]));
        assertEquals("expected the right-hand side to return 2 values (the ODE's dimension), got 3",
                wrongRhs.getMessage());

        var noJacobian = (ODEJacobiansProvider) HipparchusBridge.ode(1, (t, y) -> y, (t, y) -> new double[][] {{1}});
        var unknown = assertThrows(IllegalArgumentException.class,
                () -> noJacobian.computeParameterJacobian(0, new double[1], new double[1], "k"));
        assertEquals("unknown parameter k; this ODE has []", unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HipparchusBridge.ode(1, (t, y) -> y,
                (t, y) -> new double[][] {{1}}, (t, y) -> new double[][] {{1, 1}}, "k", "k"));
    }

    @Test
    void leastSquaresSetsTargetZeroAndStart() {
        var problem = HipparchusBridge.leastSquares(q -> new double[] {q[0] - 1, q[1] + 2},
                q -> new double[][] {{1, 0}, {0, 1}}, new double[] {5, 5}).build();
        assertEquals(2, problem.getObservationSize());
        assertArrayEquals(new double[] {5, 5}, problem.getStart().toArray());
        // Hipparchus's residuals are target − model = −r.
        assertArrayEquals(new double[] {-4, -7}, problem.evaluate(problem.getStart()).getResiduals().toArray());
    }
}
