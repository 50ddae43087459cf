package jenzyme.magics.gradcheck;

import org.junit.jupiter.api.Test;

import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CentralDifferenceTest {

    private static final ToDoubleFunction<double[]> SIN_EXP = x -> Math.sin(x[0]) * Math.exp(x[1]);

    @Test
    void truncationErrorIsSecondOrderWithTheTaylorConstant() {
        // D(h) − f' = h² f'''/6 + O(h⁴). Along x0 of sin(x0) e^x1: f''' = −cos(x0) e^x1.
        double[] x = {0.7, 0.2};
        double exact = Math.cos(0.7) * Math.exp(0.2);
        double third = -Math.cos(0.7) * Math.exp(0.2);
        for (double h : new double[] {1e-2, 5e-3, 2.5e-3}) {
            CentralDifference.Estimate d = CentralDifference.partial(SIN_EXP, x, 0, h);
            double predicted = h * h * third / 6;
            assertEquals(predicted, d.value() - exact, 1e-3 * Math.abs(predicted), "h = " + h);
        }
        double e1 = CentralDifference.partial(SIN_EXP, x, 0, 1e-2).value() - exact;
        double e2 = CentralDifference.partial(SIN_EXP, x, 0, 5e-3).value() - exact;
        assertEquals(4, e1 / e2, 1e-3, "halving h quarters the error");
    }

    @Test
    void errorEstimateTracksTheActualError() {
        double[] x = {0.7, 0.2};
        double exact = Math.cos(0.7) * Math.exp(0.2);
        for (double h : new double[] {1e-2, 1e-3}) {
            CentralDifference.Estimate d = CentralDifference.partial(SIN_EXP, x, 0, h);
            double actual = Math.abs(d.value() - exact);
            assertEquals(1, d.error() / actual, 0.01, "h = " + h + ": estimate " + d.error() + " vs actual " + actual);
        }
    }

    @Test
    void defaultStepBalancesTruncationAndRoundingNearTheCubeRootOfEpsilon() {
        assertEquals(6.055454e-6, CentralDifference.DEFAULT_STEP, 1e-11);
        double[] x = {0.7, 0.2};
        double exact = Math.cos(0.7) * Math.exp(0.2);
        CentralDifference.Estimate d = CentralDifference.partial(SIN_EXP, x, 0, CentralDifference.DEFAULT_STEP);
        double h = d.step();
        // Bound: h²|f'''|/6 + 2ε|f|/(2h) with |f'''| ≤ e^0.2 and |f| ≤ e^0.2, plus rounding of the quotient itself.
        double bound = h * h * Math.exp(0.2) / 6 + 2 * Math.ulp(1.0) * Math.exp(0.2) / h;
        double actual = Math.abs(d.value() - exact);
        assertTrue(actual <= bound, "error " + actual + " within the O(h²) + O(ε/h) bound " + bound);
        assertTrue(d.error() <= 2 * bound, "estimate " + d.error() + " of the same size as the bound " + bound);
    }

    @Test
    void stepScalesWithLargeCoordinatesAndHasAFloorOfOneAtSmallOnes() {
        double h = 1e-6;
        assertEquals(h * 1000, CentralDifference.partial(x -> x[0], new double[] {-1000}, 0, h).step(), 0);
        assertEquals(h, CentralDifference.partial(x -> x[0], new double[] {0}, 0, h).step(), 0);
        assertEquals(h, CentralDifference.partial(x -> x[0], new double[] {0.5}, 0, h).step(), 0);
        // At x = 1e8 a fixed step of 1e-6 would vanish in rounding; the scaled one still differentiates x².
        CentralDifference.Estimate big = CentralDifference.partial(x -> x[0] * x[0], new double[] {1e8}, 0, h);
        assertEquals(2e8, big.value(), 2e8 * 1e-8);
    }
}
