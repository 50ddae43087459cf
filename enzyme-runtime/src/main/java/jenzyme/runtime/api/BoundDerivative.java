package jenzyme.runtime.api;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.ship.CompiledArtifact;

/** What {@link Gradient} and {@link Tangent} share: the bound derivative, its raw call and its release. */
abstract sealed class BoundDerivative implements AutoCloseable permits Gradient, Tangent {

    private final String method;
    final Derivative derivative;

    BoundDerivative(String method, Derivative derivative) {
        this.method = method;
        this.derivative = derivative;
    }

    /**
     * The raw, allocation-free handle in Enzyme's convention: each parameter followed by its shadow (arrays) or
     * tangent (forward-mode scalars) when it has one, then a {@code double[] out} receiving the value and the scalar
     * derivatives. Reverse mode adds gradients into the shadows (zero them first).
     */
    public MethodHandle handle() {
        return derivative.handle();
    }

    /**
     * Calls {@link #handle()} with {@code arguments} (everything but {@code out}) and returns {@code out}.
     *
     * @throws IllegalArgumentException if the arguments do not fit the handle's type
     */
    public double[] invoke(Object... arguments) {
        return invoke(derivative.handle(), arguments);
    }

    /** {@link #invoke} through {@code handle}, which has {@link #handle()}'s type. */
    private double[] invoke(MethodHandle handle, Object[] arguments) {
        MethodType type = handle.type();
        if (arguments.length != type.parameterCount() - 1) {
            throw new IllegalArgumentException(Messages.API_ARGUMENT_COUNT.format((type.parameterCount() - 1), method, shape(), arguments.length));
        }
        double[] out = new double[derivative.wrapper().slots().size()];
        List<Object> all = new ArrayList<>(Arrays.asList(arguments));
        all.add(out);
        try {
            handle.invokeWithArguments(all);
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException(Messages.API_ARGUMENTS_MISFIT.format(method, shape(), e.getMessage()), e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(Messages.API_DERIVATIVE_FAILED.format(method), e);
        }
        return out;
    }

    /**
     * The call of {@code handle} ({@link #handle()} or a handle of its type) with {@code p}, its shadow and the
     * remaining arguments; checks the method's shape first.
     */
    final double[] invokeOnArray(MethodHandle handle, double[] p, double[] shadow, Object... constants) {
        MethodType type = derivative.handle().type();
        if (type.parameterCount() != constants.length + 3 || type.parameterType(0) != double[].class
                || type.parameterType(1) != double[].class) {
            throw new IllegalArgumentException(Messages.API_GRADIENT_SHAPE.format(method, constants.length, shape()));
        }
        if (derivative.entry().returnType() != JavaType.DOUBLE) {
            throw new IllegalArgumentException(Messages.API_GRADIENT_RESULT.format(method, derivative.entry().returnType().javaName()));
        }
        Object[] arguments = new Object[constants.length + 2];
        arguments[0] = p;
        arguments[1] = shadow;
        System.arraycopy(constants, 0, arguments, 2, constants.length);
        return invoke(handle, arguments);
    }

    /** The handle's parameters without {@code out}, for messages. */
    private String shape() {
        MethodType type = derivative.handle().type();
        return type.dropParameterTypes(type.parameterCount() - 1, type.parameterCount()).toString();
    }

    /**
     * The derivative as a serialisable {@link CompiledArtifact} (bitcode and calling-convention model), for another
     * JVM to load with {@link Gradient#of}/{@link Tangent#of} — a Spark executor, say — without the Enzyme worker.
     */
    public CompiledArtifact artifact() {
        return CompiledArtifact.of(derivative);
    }

    /** Frees the native code; calls afterwards raise. */
    @Override
    public void close() {
        derivative.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + method + " " + shape() + "]";
    }
}
