package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.Optional;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;

/**
 * {@code f_grad_set}: {@code f_grad_into}'s twin that writes the gradient into the shadows instead of adding to it
 * ({@link Derivative#overwriting()}; docs/MAGICS.md). Both stubs call one handle, whose first argument says which
 * form runs, so that they share a holder and its call site ({@link BoundHandles}): the site counts the calls in
 * flight through either before it frees replaced code, and each stub passes a constant the JIT folds away.
 */
final class OverwritingCalls {

    private OverwritingCalls() {}

    /**
     * {@code (boolean overwrite, handle parameters...)}: the overwriting handle when {@code overwrite}, else the
     * accumulating one; present when {@code f_grad_set} is bound. Not for records, objects (a receiver's included)
     * and lambdas, whose {@code f_grad_into} takes their gradients in other shapes: only for methods whose parameters
     * are numbers and arrays, their arrays' gradients written as a whole.
     */
    static Optional<MethodHandle> choosing(Derivative derivative, String receiver) {
        EntryPoint entry = derivative.entry();
        boolean plain = receiver.isEmpty()
                && entry.declared().stream().allMatch(parameter -> parameter.shape() instanceof JavaType);
        return derivative.overwriting().filter(written -> plain).map(written -> {
            MethodHandle accumulating = derivative.handle();
            MethodHandle asked = MethodHandles.dropArguments(MethodHandles.identity(boolean.class), 1,
                    accumulating.type().parameterList());
            return MethodHandles.guardWithTest(asked, MethodHandles.dropArguments(written, 0, boolean.class),
                    MethodHandles.dropArguments(accumulating, 0, boolean.class));
        });
    }
}
