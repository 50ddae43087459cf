package jenzyme.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The reference the hvp tests hold a Hessian-vector product to where no analytic Hessian is at hand: central
 * differences of the reverse gradient along the direction, {@code H(p)·v ≈ (∇f(p + h v) - ∇f(p - h v)) / 2h}.
 */
public final class HessianVectorChecks {

    /** The step along v. */
    private static final double STEP = 1e-5;

    /** The gradient at a point, the other arguments fixed (a compiled reverse derivative). */
    @FunctionalInterface
    public interface Gradient {
        double[] at(double[] p) throws Throwable;
    }

    private HessianVectorChecks() {}

    /**
     * Asserts {@code hv}, H(p)·v, entry by entry against central differences of {@code gradient} along {@code v},
     * within 1e-6 relative to 1 + |difference|; {@code what} names the product in a failure.
     */
    public static void assertAgreesWithDifferencesOfTheGradient(double[] hv, Gradient gradient, double[] p, double[] v,
                                                                String what) throws Throwable {
        double[] up = gradient.at(CentralDifferences.along(p, v, STEP));
        double[] down = gradient.at(CentralDifferences.along(p, v, -STEP));
        for (int k = 0; k < hv.length; k++) {
            double fd = (up[k] - down[k]) / (2 * STEP);
            assertEquals(fd, hv[k], 1e-6 * (1 + Math.abs(fd)), what + " (H v)_" + k);
        }
    }
}
