package jenzyme.bench;

import java.util.function.IntFunction;
import org.hipparchus.analysis.differentiation.Gradient;
import org.hipparchus.analysis.differentiation.SparseGradient;

/**
 * The Hipparchus columns: the workload's {@link FieldForm} evaluated with dense {@link Gradient} (forward mode,
 * every value carries all n partials) and, where the inputs are sparse in each term, {@link SparseGradient}. Each
 * timed call creates its input variables, as a user's evaluation does. Not run above
 * {@value #MAX_COMPONENTS} components: dense forward mode costs n times the primal (10^12 operations at n = 10^6).
 */
final class HipparchusContenders {

    static final int MAX_COMPONENTS = 10_000;

    /** Written by every timed call so the JIT cannot discard the work. */
    static volatile Object sink;

    private HipparchusContenders() {
    }

    static boolean applies(Workload workload, GradientLayout layout) {
        return workload.hipparchus().isPresent() && layout.size() <= MAX_COMPONENTS;
    }

    static boolean sparseApplies(Workload workload, GradientLayout layout) {
        return applies(workload, layout) && workload.hipparchus().get().sparseFits();
    }

    static Contender dense(Workload workload, GradientLayout layout) throws Throwable {
        FieldForm form = workload.hipparchus().orElseThrow().form();
        Object[] arguments = workload.freshArguments();
        double[] inputs = activeInputs(arguments, layout);
        int n = inputs.length;
        IntFunction<Gradient[]> variables = size -> {
            Gradient[] active = new Gradient[size];
            for (int i = 0; i < size; i++) {
                active[i] = Gradient.variable(n, i, inputs[i]);
            }
            return active;
        };
        Gradient result = form.apply(variables.apply(n), arguments);
        return new Contender(Column.HIPPARCHUS, Timer.local(() -> sink = form.apply(variables.apply(n), arguments)),
                Evaluation.withGradient(result.getValue(), result.getGradient()));
    }

    static Contender sparse(Workload workload, GradientLayout layout) throws Throwable {
        FieldForm form = workload.hipparchus().orElseThrow().form();
        Object[] arguments = workload.freshArguments();
        double[] inputs = activeInputs(arguments, layout);
        int n = inputs.length;
        IntFunction<SparseGradient[]> variables = size -> {
            SparseGradient[] active = new SparseGradient[size];
            for (int i = 0; i < size; i++) {
                active[i] = SparseGradient.createVariable(i, inputs[i]);
            }
            return active;
        };
        SparseGradient result = form.apply(variables.apply(n), arguments);
        double[] gradient = new double[n];
        for (int i = 0; i < n; i++) {
            gradient[i] = result.getDerivative(i);
        }
        return new Contender(Column.HIPPARCHUS_SPARSE,
                Timer.local(() -> sink = form.apply(variables.apply(n), arguments)),
                Evaluation.withGradient(result.getValue(), gradient));
    }

    /** The differentiated inputs' values, flattened in gradient order. */
    private static double[] activeInputs(Object[] arguments, GradientLayout layout) {
        double[] values = new double[layout.size()];
        for (int c = 0; c < values.length; c++) {
            Object argument = arguments[layout.parameterOf(c)];
            values[c] = argument instanceof double[] array ? array[layout.indexOf(c)] : (Double) argument;
        }
        return values;
    }
}
