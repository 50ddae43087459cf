package jenzyme.spark;

import java.io.Serializable;
import jenzyme.runtime.error.Messages;

/**
 * When {@link Lbfgs} stops: after {@code maxIterations}, or once the gradient norm is at most {@code relativeTolerance}
 * times its value at the start. {@code memory} is the number of (s, y) pairs kept.
 */
public record FitOptions(int memory, int maxIterations, double relativeTolerance) implements Serializable {

    public static final FitOptions DEFAULT = new FitOptions(10, 500, 1e-8);

    public FitOptions {
        if (memory < 1 || maxIterations < 1 || !(relativeTolerance >= 0)) {
            throw new IllegalArgumentException(Messages.SPARK_FIT_OPTIONS.format(memory, maxIterations, relativeTolerance));
        }
    }
}
