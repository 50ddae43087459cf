package jenzyme.magics.gradcheck;

/**
 * Gradient-check stage: the verdict on one gradient component at one point.
 *
 * @param point      index of the point in {@link GradCheckResult#points()}
 * @param component  index i of the component ∂f/∂x_i
 * @param ad         the checked gradient's value (from AD, or whatever was supplied)
 * @param fd         the central finite difference
 * @param fdError    estimated error of {@code fd} (see {@link CentralDifference})
 * @param absError   |ad − fd|
 * @param relError   |ad − fd| / max(|ad|, |fd|, floor): see {@link GradCheck} for the floor
 * @param passed     whether the component agrees within the tolerance
 */
public record ComponentCheck(int point, int component, double ad, double fd, double fdError, double absError,
                             double relError, boolean passed) {
}
