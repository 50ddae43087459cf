package jenzyme.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.CallingConvention;

/**
 * Calls a bound {@link Derivative} the way a user calls {@code f_grad_into}: every argument preallocated, shadows
 * zeroed before each call (they accumulate), so a timed call is exactly the allocation-free derivative.
 */
final class DerivativeCalls {

    private DerivativeCalls() {
    }

    /** A reverse-mode derivative: one call gives the value and the whole gradient. */
    static Contender reverse(Column column, Derivative derivative, Workload workload, GradientLayout layout)
            throws Throwable {
        Object[] arguments = workload.freshArguments();
        double[][] shadows = new double[arguments.length][];
        List<Object> call = new ArrayList<>();
        for (int p = 0; p < arguments.length; p++) {
            call.add(arguments[p]);
            if (derivative.convention().hasShadow(p)) {
                shadows[p] = new double[((double[]) arguments[p]).length];
                call.add(shadows[p]);
            }
        }
        double[] out = new double[derivative.wrapper().slots().size()];
        if (out.length != 1 + layout.activeScalars().size()) {
            throw new IllegalStateException("expected the primal and " + layout.activeScalars().size()
                    + " adjoint slots, got " + derivative.wrapper().slots());
        }
        call.add(out);
        MethodHandle bound = MethodHandles.insertArguments(derivative.handle(), 0, call.toArray());
        double[][] zeroed = Arrays.stream(shadows).filter(s -> s != null).toArray(double[][]::new);
        Timer.Body body = () -> {
            for (double[] shadow : zeroed) {
                Arrays.fill(shadow, 0);
            }
            bound.invokeExact();
        };
        body.run();
        CallingConvention convention = derivative.convention();
        double[] adjoints = layout.activeScalars().stream().mapToDouble(p -> out[convention.adjointSlot(p)]).toArray();
        double[] gradient = layout.gather(shadows, adjoints);
        return new Contender(column, Timer.local(body), Evaluation.withGradient(out[convention.primalSlot()], gradient));
    }

    /** A forward-mode derivative: the gradient takes one call per component, each along a unit tangent. */
    static Contender forwardSweeps(Derivative derivative, Workload workload, GradientLayout layout) throws Throwable {
        int components = layout.size();
        MethodHandle[] sweeps = new MethodHandle[components];
        double[][] outs = new double[components][];
        for (int c = 0; c < components; c++) {
            Object[] arguments = workload.freshArguments();
            List<Object> call = new ArrayList<>();
            for (int p = 0; p < arguments.length; p++) {
                call.add(arguments[p]);
                if (layout.differentiated(p)) {
                    boolean mine = layout.parameterOf(c) == p;
                    if (arguments[p] instanceof double[] array) {
                        double[] tangent = new double[array.length];
                        if (mine) {
                            tangent[layout.indexOf(c)] = 1;
                        }
                        call.add(tangent);
                    } else {
                        call.add(mine ? 1.0 : 0.0);
                    }
                }
            }
            outs[c] = new double[derivative.wrapper().slots().size()];
            call.add(outs[c]);
            sweeps[c] = MethodHandles.insertArguments(derivative.handle(), 0, call.toArray());
        }
        Timer.Body body = () -> {
            for (MethodHandle sweep : sweeps) {
                sweep.invokeExact();
            }
        };
        body.run();
        CallingConvention convention = derivative.convention();
        double[] gradient = new double[components];
        for (int c = 0; c < components; c++) {
            gradient[c] = outs[c][convention.returnTangentSlot()];
        }
        return new Contender(Column.FORWARD, Timer.local(body),
                Evaluation.withGradient(outs[0][convention.primalSlot()], gradient));
    }
}
