package jenzyme.bench;

/**
 * What one implementation computed at the workload's inputs, for the correctness checks that precede timing.
 *
 * @param gradient the flattened gradient ({@link GradientLayout} order); empty for a primal; a prefix when only
 *                 the first components were computed (finite differences at n = 10^6)
 */
public record Evaluation(double value, double[] gradient, boolean hasGradient) {

    public static Evaluation primal(double value) {
        return new Evaluation(value, new double[0], false);
    }

    public static Evaluation withGradient(double value, double[] gradient) {
        return new Evaluation(value, gradient.clone(), true);
    }
}
