package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.lower.RecordShape;
import jenzyme.runtime.error.Messages;

/**
 * A cell method seen as f: R^n → R with its compiled gradient, for the magics that sample functions
 * ({@code %gradcheck}, {@code %plot}). Two shapes qualify: one {@code double[]} parameter, or only {@code double}
 * parameters and records or objects of doubles (then x = (x1, ..., xn), a record's components depth first, as
 * {@code %autodiff} lists them: {@code b.pos.x, b.pos.y, ...}; an object whose fields compiled code writes too). The value comes from the JVM's own method, the gradient from the compiled
 * derivative, so comparing them checks the whole pipeline. A lambda parameter is fixed to a given lambda.
 */
public record VectorFunctions(ToDoubleFunction<double[]> value, Function<double[], double[]> gradient, int dimension,
                       boolean arrayParameter) {

    public static VectorFunctions of(MethodHandle jvm, Derivative reverse) {
        return of(jvm, reverse, Map.of());
    }

    /**
     * {@link #of(MethodHandle, Derivative)} of a method taking lambdas (functional-interface parameters): each is
     * fixed to the object {@code lambdas} gives for its name (the same one for the JVM's f and the gradient, which
     * is compiled for it at the first call), and x holds the other parameters' doubles.
     */
    public static VectorFunctions of(MethodHandle jvm, Derivative reverse, Map<String, Object> lambdas) {
        EntryPoint entry = reverse.entry();
        List<NativeParameter> parameters = entry.parameters();
        if (entry.returnType() != JavaType.DOUBLE) {
            throw new IllegalArgumentException(Messages.SAMPLED_RESULT.format(entry.methodName(),
                    entry.returnType().javaName()));
        }
        CallingConvention convention = reverse.convention();
        MethodHandle bound = jvm;
        MethodHandle compiled = reverse.handle();
        // from the last to the first, so that the positions still to bind do not move
        for (int i = entry.declared().size() - 1; i >= 0; i--) {
            EntryPoint.JavaParameter parameter = entry.declared().get(i);
            if (!BindingStubs.isLambda(parameter)) {
                continue;
            }
            Object lambda = lambdas.get(parameter.name());
            if (lambda == null || !jvm.type().parameterType(i).isInstance(lambda)) {
                throw new IllegalArgumentException(Messages.SAMPLED_LAMBDA.format(entry.methodName(),
                        parameter.name(), jvm.type().parameterType(i).getSimpleName()));
            }
            bound = MethodHandles.insertArguments(bound, i, lambda);
            compiled = MethodHandles.insertArguments(compiled, handlePosition(convention, i), lambda);
        }
        MethodHandle value = bound;
        MethodHandle derivative = compiled;
        List<EntryPoint.JavaParameter> sampled = entry.declared().stream().filter(p -> !BindingStubs.isLambda(p))
                .toList();
        int slots = convention.slots().size();
        if (parameters.size() == 1 && parameters.getFirst().type() == JavaType.DOUBLE_ARRAY
                && !CopiedObjects.isCopied(sampled.getFirst())) { // not the double[] of an object's fields
            return new VectorFunctions(
                    x -> call(() -> (double) value.invoke(x)),
                    x -> {
                        double[] dx = new double[x.length];
                        call(() -> {
                            derivative.invoke(x, dx, new double[slots]);
                            return 0;
                        });
                        return dx;
                    }, -1, true);
        }
        if (!sampled.isEmpty() && sampled.stream().allMatch(p -> ofDoubles(p, parameters))) {
            // x holds every double of the parameters, records' components depth first (the compiled handle's order)
            int n = sampled.stream().mapToInt(VectorFunctions::coordinates).sum();
            Function<double[], Object[]> arguments = SampledRecords.arguments(value.type(), sampled);
            return new VectorFunctions(
                    x -> call(() -> (double) value.invokeWithArguments(arguments.apply(checked(x, n)))),
                    x -> gradient(derivative, convention, sampled, checked(x, n)), n, false);
        }
        throw new IllegalArgumentException(Messages.SAMPLED_SHAPE.format(entry.methodName(),
                entry.methodAsWritten()));
    }

    /**
     * Whether {@code parameter} is sampled as doubles: a double, a record or object of doubles, or an object whose
     * fields compiled code writes (copied back, {@link CopiedObjects}) when they are all doubles.
     */
    private static boolean ofDoubles(EntryPoint.JavaParameter parameter, List<NativeParameter> parameters) {
        if (CopiedObjects.isCopied(parameter)) {
            return parameter.leafCount() == 1 && ((RecordShape) parameter.shape()).valueLeaves().stream()
                    .allMatch(leaf -> leaf == JavaType.DOUBLE);
        }
        return parameters.subList(parameter.first(), parameter.first() + parameter.leafCount()).stream()
                .allMatch(leaf -> leaf.type() == JavaType.DOUBLE);
    }

    /** How many coordinates of x {@code parameter} takes. */
    private static int coordinates(EntryPoint.JavaParameter parameter) {
        return CopiedObjects.isCopied(parameter) ? ((RecordShape) parameter.shape()).valueLeaves().size()
                : parameter.leafCount();
    }

    /**
     * The compiled gradient at {@code x}: scalars from their adjoint slots; an object copied back is passed as a
     * fresh double[] of its fields with a zeroed shadow holding its partials (what compiled code writes into the
     * array goes nowhere: the JVM's side of the sample builds a new object too).
     */
    private static double[] gradient(MethodHandle derivative, CallingConvention convention,
                                     List<EntryPoint.JavaParameter> sampled, double[] x) {
        List<Object> arguments = new ArrayList<>();
        List<double[]> shadows = new ArrayList<>();
        int next = 0;
        for (EntryPoint.JavaParameter parameter : sampled) {
            if (CopiedObjects.isCopied(parameter)) {
                int k = coordinates(parameter);
                arguments.add(Arrays.copyOfRange(x, next, next + k));
                shadows.add(new double[k]); // the default gradient differentiates every field
                arguments.add(shadows.getLast());
                next += k;
                continue;
            }
            for (int i = 0; i < parameter.leafCount(); i++) {
                arguments.add(x[next++]);
            }
        }
        double[] out = new double[convention.slots().size()];
        arguments.add(out);
        call(() -> {
            derivative.invokeWithArguments(arguments);
            return 0;
        });
        double[] gradient = new double[x.length];
        next = 0;
        for (EntryPoint.JavaParameter parameter : sampled) {
            if (CopiedObjects.isCopied(parameter)) {
                double[] shadow = shadows.removeFirst();
                System.arraycopy(shadow, 0, gradient, next, shadow.length);
                next += shadow.length;
                continue;
            }
            for (int p = parameter.first(); p < parameter.first() + parameter.leafCount(); p++) {
                gradient[next++] = out[convention.adjointSlot(p)];
            }
        }
        return gradient;
    }

    /**
     * Where the compiled handle takes declared parameter {@code declared}: after each earlier parameter's native
     * leaves (each followed by its shadow, if it has one), a lambda taking one place (the stubs' order).
     */
    private static int handlePosition(CallingConvention convention, int declared) {
        int position = 0;
        for (EntryPoint.JavaParameter before : convention.entry().declared().subList(0, declared)) {
            if (BindingStubs.isLambda(before)) {
                position++;
                continue;
            }
            for (int p = before.first(); p < before.first() + before.leafCount(); p++) {
                position += convention.hasShadow(p) ? 2 : 1;
            }
        }
        return position;
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
