package jenzyme.bench;

import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.ad.Activity;

/**
 * One row of the benchmark: a Java method in the frontend's subset, the inputs every implementation is run on, and
 * how to find the same function in C ({@link CSource}) and in JAX ({@code jaxKind}, a function of
 * {@code benchmarks/jax/jax_bench.py} with the Java parameter order). The gradient is taken with respect to every
 * floating parameter that {@code constants} does not make Const (the magics' defaults).
 *
 * @param arguments          the Java method's arguments: {@code double[]}, {@code Double} or {@code Integer}
 * @param forwardRelevant    whether to also time the gradient by forward-mode sweeps (one per input component)
 * @param fdTimedComponents  how many components the finite-difference timing evaluates; the time is scaled to the
 *                           full gradient when this is fewer than all (n = 10^6 would take hours)
 * @param hipparchus         the workload written with Hipparchus's AD, for the Hipparchus columns (empty: "-")
 */
public record Workload(String id, String label, Class<?> owner, String method, List<Object> arguments,
                       Map<String, Activity> constants, CSource c, String jaxKind, boolean forwardRelevant,
                       int fdTimedComponents, Optional<Hipparchus> hipparchus) {

    /**
     * @param sparseFits whether each term touches few inputs, so that {@code SparseGradient} is worth a column
     */
    public record Hipparchus(FieldForm form, boolean sparseFits) {}

    /** The C reference: a function in {@code benchmarks/c/<file>} and the arguments it takes, in order. */
    public record CSource(String file, String function, List<CArgument> arguments) {}

    /** One C argument, taken from the Java arguments: a parameter as it is, or the length of an array parameter. */
    public sealed interface CArgument {
        int parameter();
    }

    public record Param(int parameter) implements CArgument {}

    public record LengthOf(int parameter) implements CArgument {}

    public Workload {
        arguments = List.copyOf(arguments);
        constants = Map.copyOf(constants);
        for (Object argument : arguments) {
            if (!(argument instanceof double[] || argument instanceof Double || argument instanceof Integer)) {
                throw new IllegalArgumentException("expected double[], Double or Integer arguments for " + id + ", got "
                        + argument.getClass().getSimpleName());
            }
        }
    }

    public Method javaMethod() {
        Method found = Arrays.stream(owner.getMethods()).filter(m -> m.getName().equals(method)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("expected a public method " + method + " in " + owner));
        if (!Modifier.isStatic(found.getModifiers()) || found.getReturnType() != double.class) {
            throw new IllegalArgumentException("expected " + found + " to be static and return double");
        }
        return found;
    }

    public String ownerInternalName() {
        return owner.getName().replace('.', '/');
    }

    public String descriptor() {
        Method m = javaMethod();
        return MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString();
    }

    /** A deep copy of the arguments, so that an implementation that perturbs them cannot disturb another. */
    public Object[] freshArguments() {
        return arguments.stream().map(a -> a instanceof double[] array ? array.clone() : a).toArray();
    }
}
