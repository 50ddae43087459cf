package jenzyme.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A gradient call bound to its arguments, as a user makes it with preallocated arrays: {@code f_grad_set}, the
 * overwriting call, where the gradient has one (it writes the shadows); else {@code f_grad_into} with the shadows
 * zeroed before each call (gradients accumulate into them). {@link #bind} moves it to other arrays between rounds
 * ({@link Placement}); the timed call is the same handle invocation whatever the arrays.
 */
final class ShadowedCall {

    private MethodHandle bound;
    private double[][] zeroed;

    /**
     * @param overwriting the overwriting form of {@code accumulating} (same type), if there is one
     * @param shadows     indexed like the arguments, null where an argument has no shadow
     */
    void bind(MethodHandle accumulating, Optional<MethodHandle> overwriting, List<Object> arguments,
              double[][] shadows) {
        bound = MethodHandles.insertArguments(overwriting.orElse(accumulating), 0, arguments.toArray());
        zeroed = overwriting.isPresent() ? new double[0][]
                : Arrays.stream(shadows).filter(s -> s != null).toArray(double[][]::new);
    }

    void call() throws Throwable {
        for (double[] shadow : zeroed) {
            Arrays.fill(shadow, 0);
        }
        bound.invokeExact();
    }
}
