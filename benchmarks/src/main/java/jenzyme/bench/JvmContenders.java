package jenzyme.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * The columns that run on HotSpot: the workload's own Java method (the primal users start from) and central finite
 * differences of it, what a user without AD would write.
 */
final class JvmContenders {

    /** cbrt(machine epsilon): the step that balances truncation and rounding error of central differences. */
    static final double FD_STEP = 6e-6;

    /** Written by every timed primal call so the JIT cannot discard the work. */
    static volatile double sink;

    private JvmContenders() {
    }

    static Contender primal(Workload workload) throws Throwable {
        MethodHandle bound = MethodHandles.insertArguments(handle(workload), 0, workload.freshArguments());
        double value = (double) bound.invokeExact();
        return new Contender(Column.JVM_PRIMAL, Timer.local(() -> sink = (double) bound.invokeExact()),
                Evaluation.primal(value));
    }

    /**
     * Central differences of the first {@code fdTimedComponents} gradient components (all of them for every
     * workload but the largest); when fewer, the time is scaled to the whole gradient.
     */
    static Contender finiteDifferences(Workload workload, GradientLayout layout) throws Throwable {
        MethodHandle f = handle(workload).asSpreader(Object[].class, workload.arguments().size());
        Object[] arguments = workload.freshArguments();
        int components = Math.min(layout.size(), workload.fdTimedComponents());
        double[] gradient = new double[components];
        Timer.Body call = () -> {
            for (int c = 0; c < components; c++) {
                gradient[c] = centralDifference(f, arguments, layout.parameterOf(c), layout.indexOf(c));
            }
        };
        call.run();
        double value = (double) f.invokeExact(arguments);
        double scale = (double) layout.size() / components;
        String note = components < layout.size()
                ? "estimated: " + components + " of " + layout.size() + " components timed, scaled" : "";
        return new Contender(Column.FINITE_DIFFERENCES, Timer.local(call),
                Evaluation.withGradient(value, gradient), scale, note);
    }

    private static double centralDifference(MethodHandle f, Object[] arguments, int parameter, int index)
            throws Throwable {
        if (arguments[parameter] instanceof double[] array) {
            double x = array[index], h = FD_STEP * Math.max(1, Math.abs(x));
            array[index] = x + h;
            double up = (double) f.invokeExact(arguments);
            array[index] = x - h;
            double down = (double) f.invokeExact(arguments);
            array[index] = x;
            return (up - down) / ((x + h) - (x - h));
        }
        double x = (Double) arguments[parameter], h = FD_STEP * Math.max(1, Math.abs(x));
        arguments[parameter] = x + h;
        double up = (double) f.invokeExact(arguments);
        arguments[parameter] = x - h;
        double down = (double) f.invokeExact(arguments);
        arguments[parameter] = x;
        return (up - down) / ((x + h) - (x - h));
    }

    private static MethodHandle handle(Workload workload) throws IllegalAccessException {
        return MethodHandles.publicLookup().unreflect(workload.javaMethod());
    }
}
