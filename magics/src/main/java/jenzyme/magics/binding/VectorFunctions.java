package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.error.Messages;

/**
 * A cell method seen as f: R^n → R with its compiled gradient, for the magics that sample functions
 * ({@code %gradcheck}, {@code %plot}). Two shapes qualify: one {@code double[]} parameter, or only {@code double}
 * parameters and records or objects of doubles (then x = (x1, ..., xn), a record's components depth first, as
 * {@code %autodiff} lists them: {@code b.pos.x, b.pos.y, ...}). The value comes from the JVM's own method, the gradient from the compiled
 * derivative, so comparing them checks the whole pipeline.
 */
public record VectorFunctions(ToDoubleFunction<double[]> value, Function<double[], double[]> gradient, int dimension,
                       boolean arrayParameter) {

    public static VectorFunctions of(MethodHandle jvm, Derivative reverse) {
        List<NativeParameter> parameters = reverse.entry().parameters();
        reverse.entry().declared().stream().filter(BindingStubs::isLambda).findFirst().ifPresent(lambda -> {
            throw new IllegalArgumentException(Messages.SAMPLED_LAMBDA.format(reverse.entry().methodName(),
                    lambda.name()));
        });
        if (reverse.entry().returnType() != JavaType.DOUBLE) {
            throw new IllegalArgumentException(Messages.SAMPLED_RESULT.format(reverse.entry().methodName(),
                    reverse.entry().returnType().javaName()));
        }
        MethodHandle derivative = reverse.handle();
        CallingConvention convention = reverse.convention();
        int slots = convention.slots().size();
        if (parameters.size() == 1 && parameters.getFirst().type() == JavaType.DOUBLE_ARRAY) {
            return new VectorFunctions(
                    x -> call(() -> (double) jvm.invoke(x)),
                    x -> {
                        double[] dx = new double[x.length];
                        call(() -> {
                            derivative.invoke(x, dx, new double[slots]);
                            return 0;
                        });
                        return dx;
                    }, -1, true);
        }
        if (!parameters.isEmpty() && parameters.stream().allMatch(p -> p.type() == JavaType.DOUBLE)) {
            // x holds every double of the parameters, records' components depth first (the compiled handle's order)
            int n = parameters.size();
            Function<double[], Object[]> arguments = SampledRecords.arguments(jvm.type(), reverse.entry());
            MethodHandle spreadGradient = derivative.asSpreader(0, double[].class, n);
            return new VectorFunctions(
                    x -> call(() -> (double) jvm.invokeWithArguments(arguments.apply(checked(x, n)))),
                    x -> {
                        double[] out = new double[slots];
                        call(() -> {
                            spreadGradient.invoke(checked(x, n), out);
                            return 0;
                        });
                        double[] gradient = new double[n];
                        for (int p = 0; p < n; p++) {
                            gradient[p] = out[convention.adjointSlot(p)];
                        }
                        return gradient;
                    }, n, false);
        }
        throw new IllegalArgumentException(Messages.SAMPLED_SHAPE.format(reverse.entry().methodName(),
                reverse.entry().methodAsWritten()));
    }

    private static double[] checked(double[] x, int n) {
        if (x.length != n) {
            throw new IllegalArgumentException(Messages.POINT_DIMENSION.format(n, x.length));
        }
        return x;
    }

    @FunctionalInterface
    private interface Call {
        double run() throws Throwable;
    }

    /** The JVM method and the compiled code raise unchecked exceptions only; anything else is our bug. */
    private static double call(Call call) {
        try {
            return call.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
