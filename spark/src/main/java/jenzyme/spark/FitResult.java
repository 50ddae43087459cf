package jenzyme.spark;

import java.io.Serializable;

/**
 * The outcome of one {@link FitTask}.
 *
 * @param x           the minimiser found
 * @param value       the loss there
 * @param gradNorm    the gradient's Euclidean norm there
 * @param iterations  L-BFGS iterations taken
 * @param evaluations loss+gradient evaluations (native calls)
 * @param executor    the Spark executor that ran it ("driver" for local runs)
 */
public record FitResult(long id, double[] x, double value, double gradNorm, int iterations, int evaluations,
                        String executor) implements Serializable {}
