package jenzyme.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.util.List;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.CallingConvention.HandleParameter;
import jenzyme.runtime.bind.LaneTable;
import jenzyme.runtime.error.Messages;

/**
 * {@code %autodiff forward f --width N}: N directional derivatives of a scalar function from one sweep of Enzyme's
 * vector mode. The caller passes each parameter followed, when it has a tangent, by its N tangents ({@code double[][]}
 * of N arrays for an array, {@code double[]} of N values for a scalar); they are copied into per-thread native lane
 * tables (the derivative's batched convention, {@link CallingConvention#width()}), and the tangents Enzyme writes into
 * array lanes (output arrays) are copied back. Allocation-free after a thread's first call at a given size.
 */
public final class BatchedForward implements AutoCloseable {

    private final Derivative derivative;
    private final MethodHandle spread;
    private final ThreadLocal<Scratch> scratch;
    /** The handle's parameters, null where it takes a lambda (passed on as it is). */
    private final List<HandleParameter> parameters;

    /** @param derivative a forward-mode derivative of width > 1 of a method returning a double or float */
    public BatchedForward(Derivative derivative) {
        this.derivative = derivative;
        this.parameters = LambdaDispatch.handleParameters(derivative);
        this.spread = derivative.handle().asType(MethodType.genericMethodType(parameters.size())
                .changeReturnType(void.class)).asSpreader(Object[].class, parameters.size());
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(derivative.convention(), parameters.size()));
    }

    public Derivative derivative() {
        return derivative;
    }

    public int width() {
        return derivative.convention().width();
    }

    /**
     * f's value, with the N directional derivatives written into {@code dvalue}.
     *
     * @param arguments each parameter of f (a lambda as it is), followed by its N tangents when it has a tangent
     */
    public double into(double[] dvalue, Object... arguments) throws Throwable {
        CallingConvention convention = derivative.convention();
        int width = width();
        if (arguments.length != parameters.size() - 1) {
            throw new IllegalArgumentException(Messages.ARGUMENT_COUNT.format(convention.entry().methodAsWritten(),
                    parameters.size() - 1, arguments.length));
        }
        if (dvalue.length < width) {
            throw new IllegalArgumentException(Messages.OUT_TOO_SHORT.format(width,
                    convention.entry().methodAsWritten(), dvalue.length));
        }
        Scratch s = scratch.get();
        for (int k = 0; k < arguments.length; k++) {
            if (parameters.get(k) == null || parameters.get(k).role() == HandleParameter.Role.PRIMAL) {
                s.call[k] = arguments[k];
                continue;
            }
            if (arguments[k - 1] instanceof double[] primal) {
                double[][] tangents = lanes(arguments[k], width, convention, parameters.get(k));
                LaneTable table = s.tables[k];
                s.call[k] = table.ensure(primal.length);
                for (int lane = 0; lane < width; lane++) {
                    if (tangents[lane] == null || tangents[lane].length < primal.length) {
                        throw new IllegalArgumentException(Messages.BATCH_TANGENT_LENGTH.format(
                                name(convention, parameters.get(k)), lane, primal.length,
                                tangents[lane] == null ? null : tangents[lane].length));
                    }
                    table.copyIn(lane, tangents[lane]);
                }
            } else {
                double[] values = (double[]) arguments[k];
                if (values.length < width) {
                    throw new IllegalArgumentException(Messages.BATCH_TANGENTS.format(
                            name(convention, parameters.get(k)), width, values.length));
                }
                MemorySegment.copy(values, 0, s.scalars[k], ValueLayout.JAVA_DOUBLE, 0, width);
                s.call[k] = s.scalars[k];
            }
        }
        s.call[arguments.length] = s.out;
        spread.invokeExact(s.call);
        for (int k = 0; k < arguments.length; k++) {
            if (parameters.get(k) != null && parameters.get(k).role() != HandleParameter.Role.PRIMAL
                    && arguments[k - 1] instanceof double[]) {
                double[][] tangents = (double[][]) arguments[k];
                for (int lane = 0; lane < width; lane++) {
                    s.tables[k].copyOut(lane, tangents[lane]);
                }
            }
        }
        for (int lane = 0; lane < width; lane++) {
            dvalue[lane] = s.out[convention.returnTangentSlot(lane)];
        }
        return s.out[convention.primalSlot()];
    }

    private static double[][] lanes(Object tangents, int width, CallingConvention convention,
                                    HandleParameter parameter) {
        double[][] lanes = (double[][]) tangents;
        if (lanes.length < width) {
            throw new IllegalArgumentException(Messages.BATCH_TANGENTS.format(name(convention, parameter), width,
                    lanes.length));
        }
        return lanes;
    }

    private static String name(CallingConvention convention, HandleParameter parameter) {
        return "t" + convention.entry().parameters().get(parameter.javaParameter()).name();
    }

    @Override
    public void close() {
        derivative.close();
    }

    /** One thread's lane tables (per array tangent), scalar lanes (per scalar tangent), handle arguments and slots. */
    private static final class Scratch {
        final LaneTable[] tables;
        final MemorySegment[] scalars;
        final Object[] call;
        final double[] out;

        Scratch(CallingConvention convention, int count) {
            tables = new LaneTable[count];
            scalars = new MemorySegment[count];
            for (int k = 0; k < count; k++) {
                tables[k] = new LaneTable(convention.width());
                // a heap segment made once, as LaneTable's table: no native segment among a critical call's arguments
                scalars[k] = MemorySegment.ofArray(new double[convention.width()]);
            }
            call = new Object[count];
            out = new double[convention.slots().size()];
        }
    }
}
