package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.RecordShape;
import jenzyme.runtime.lower.Shape;

/**
 * The JVM arguments of a sampled point: the doubles of {@code x} handed out to the parameters in the compiled
 * method's order, a record or object parameter built from as many as it has components (depth first) with its
 * canonical constructor, or for an object the constructor taking its fields in declaration order (the rule the
 * gradient objects of {@code %autodiff} follow, docs/RECORDS.md).
 */
final class SampledRecords {

    private SampledRecords() {}

    /** {@code x -> the arguments of a method of type {@code jvm}} whose parameters are {@code declared}. */
    static Function<double[], Object[]> arguments(MethodType jvm, List<EntryPoint.JavaParameter> declared) {
        List<Builder> builders = new ArrayList<>();
        for (int i = 0; i < declared.size(); i++) {
            builders.add(builder(jvm.parameterType(i), declared.get(i).shape()));
        }
        return x -> {
            Object[] arguments = new Object[builders.size()];
            int[] next = {0};
            for (int i = 0; i < arguments.length; i++) {
                arguments[i] = builders.get(i).build(x, next);
            }
            return arguments;
        };
    }

    /** Builds one value from {@code x[next[0]...]}, advancing {@code next[0]} past what it used. */
    @FunctionalInterface
    private interface Builder {
        Object build(double[] x, int[] next);
    }

    private static Builder builder(Class<?> type, Shape shape) {
        if (!(shape instanceof RecordShape record)) {
            return (x, next) -> x[next[0]++];
        }
        try {
            List<Class<?>> types = new ArrayList<>();
            List<Builder> components = new ArrayList<>();
            for (RecordShape.Component component : record.components()) {
                Class<?> field = type.getDeclaredField(component.name()).getType();
                types.add(field);
                components.add(builder(field, component.shape()));
            }
            // The notebook's classes are in the unnamed module, open to us: a private constructor is fine.
            MethodHandle constructor = MethodHandles.privateLookupIn(type, MethodHandles.lookup())
                    .findConstructor(type, MethodType.methodType(void.class, types));
            return (x, next) -> {
                Object[] values = new Object[components.size()];
                for (int c = 0; c < values.length; c++) {
                    values[c] = components.get(c).build(x, next);
                }
                try {
                    return constructor.invokeWithArguments(values);
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
            };
        } catch (ReflectiveOperationException e) {
            // %autodiff refused such a class before (its gradient is built the same way)
            throw new IllegalStateException(e);
        }
    }
}
