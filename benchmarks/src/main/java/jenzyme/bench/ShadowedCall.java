package jenzyme.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import java.util.List;

/**
 * A gradient call bound to its arguments, as a user makes it with preallocated arrays: the shadows are zeroed
 * before each call (gradients accumulate into them), then the handle runs. {@link #bind} moves it to other arrays
 * between rounds ({@link Placement}); the timed call is the same handle invocation whatever the arrays.
 */
final class ShadowedCall {

    private MethodHandle bound;
    private double[][] zeroed;

    /** @param shadows indexed like the arguments, null where an argument has no shadow */
    void bind(MethodHandle handle, List<Object> arguments, double[][] shadows) {
        bound = MethodHandles.insertArguments(handle, 0, arguments.toArray());
        zeroed = Arrays.stream(shadows).filter(s -> s != null).toArray(double[][]::new);
    }

    void call() throws Throwable {
        for (double[] shadow : zeroed) {
            Arrays.fill(shadow, 0);
        }
        bound.invokeExact();
    }
}
