package jenzyme.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.CallingConvention;

/**
 * Calls a bound {@link Derivative} the way a user calls {@code f_grad_set} (or, without one, {@code f_grad_into} on
 * shadows zeroed before each call: {@link ShadowedCall}): every argument preallocated, so a timed call is exactly the
 * allocation-free derivative.
 */
final class DerivativeCalls {

    private DerivativeCalls() {
    }

    /** A reverse-mode derivative: one call gives the value and the whole gradient. */
    static Contender reverse(Column column, Derivative derivative, Workload workload, GradientLayout layout)
            throws Throwable {
        int slots = derivative.wrapper().slots().size();
        if (slots != 1 + layout.activeScalars().size()) {
            throw new IllegalStateException("expected the primal and " + layout.activeScalars().size()
                    + " adjoint slots, got " + derivative.wrapper().slots());
        }
        ReverseSeat seat = new ReverseSeat(derivative, workload, new Placement(column.ordinal()));
        seat.call();
        CallingConvention convention = derivative.convention();
        double[] out = seat.out;
        double[] adjoints = layout.activeScalars().stream().mapToDouble(p -> out[convention.adjointSlot(p)]).toArray();
        double[] gradient = layout.gather(seat.shadows, adjoints);
        return new Contender(column, Timer.local(seat::call), Evaluation.withGradient(out[convention.primalSlot()],
                gradient), 1.0, "", seat::reseat);
    }

    /**
     * The arrays one reverse call runs on, bound into the handle; {@link #reseat} moves them to a new placement
     * (the timed body reads the current binding, so the call itself stays the same handle invocation).
     */
    private static final class ReverseSeat {
        private final Derivative derivative;
        private final Workload workload;
        private final Placement placement;
        private final ShadowedCall shadowed = new ShadowedCall();
        private double[][] shadows;
        private double[] out;

        ReverseSeat(Derivative derivative, Workload workload, Placement placement) {
            this.derivative = derivative;
            this.workload = workload;
            this.placement = placement;
            reseat();
        }

        void reseat() {
            Object[] arguments = placement.arguments(workload);
            shadows = new double[arguments.length][];
            List<Object> values = new ArrayList<>();
            for (int p = 0; p < arguments.length; p++) {
                values.add(arguments[p]);
                if (derivative.convention().hasShadow(p)) {
                    shadows[p] = placement.zeros(((double[]) arguments[p]).length);
                    values.add(shadows[p]);
                }
            }
            out = new double[derivative.wrapper().slots().size()];
            values.add(out);
            shadowed.bind(derivative.handle(), derivative.overwriting(), values, shadows);
        }

        void call() throws Throwable {
            shadowed.call();
        }
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
