package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jenzyme.runtime.ad.CallingConvention.HandleParameter;
import jenzyme.runtime.ad.JacobianShape;
import jenzyme.runtime.bind.LaneTable;
import jenzyme.runtime.bind.StaticFieldReads;
import jenzyme.runtime.lower.ClassBytesSource;

/**
 * One thread's arguments for the sweeps of a {@link Jacobian} other than x and y (the handle's {@code rest}), and
 * the state every sweep starts from when the method writes the fields of an object from the JVM
 * ({@code lower.ObjectLayout}), an array parameter ({@link JacobianShape#restoredBetweenSweeps}) or a static array
 * ({@link JacobianShape#restoredFields}).
 *
 * <p>Each sweep runs the whole method, so without help the second sweep would start from the fields or the arrays
 * the first one wrote. {@link #begin} copies the leaves such an object travels as (its number fields' {@code
 * double[]}, its {@code long[]}, its own arrays), such array parameters, and the arrays such static fields hold
 * (read from the field, as the sweeps' binders do), and {@link #beforeSweep} puts them back before every sweep after
 * the first: every sweep differentiates the method at the state the call began in, and after the
 * call the leaves and arrays hold what one run left, which the binding writes back into the object once. A sweep
 * that fails is the first (each runs the same primal from the same state), so the object is left where the JVM's
 * own call leaves it at the throw.
 *
 * <p>The object's {@code double[]} leaves other than x and y are Duplicated ({@link JacobianShape#carried}): their
 * shadows, made here and zeroed before each sweep, let values written into them and read back carry derivatives.
 *
 * <p>Buffers are kept per thread and reused, so a call allocates nothing once its sizes have been seen.
 */
final class JacobianSweepArguments {

    /**
     * Where a Jacobian's sweeps take their other arguments from ({@link Jacobian#into}'s, by position).
     *
     * @param plan   rest slot k holds argument {@code plan[k]}, or when negative the shadow of argument
     *               {@code -1 - plan[k]}
     * @param copied argument positions of the leaves of objects from the JVM and of the written arrays, restored
     *               before each sweep after the first
     * @param fields {@code ()Object} getters of the written static arrays, restored likewise
     */
    record Layout(int[] plan, int[] copied, MethodHandle[] fields) {

        /**
         * From the handle's parameters (null for a lambda, which is an argument): the rest holds, in order, the
         * arguments other than x and y and the shadows of the Duplicated ones among them (the carried arrays).
         * {@code statics} is where the method's static fields are read from.
         */
        static Layout of(List<HandleParameter> parameters, JacobianShape shape, ClassBytesSource statics) {
            Set<Integer> restored = shape.restoredBetweenSweeps();
            List<Integer> plan = new ArrayList<>();
            List<Integer> copied = new ArrayList<>();
            int count = 0;
            for (HandleParameter parameter : parameters) {
                boolean xy = parameter != null && (parameter.javaParameter() == shape.input()
                        || parameter.javaParameter() == shape.output());
                if (parameter == null || parameter.role() == HandleParameter.Role.PRIMAL) {
                    if (!xy) {
                        plan.add(count);
                    }
                    if (parameter != null && restored.contains(parameter.javaParameter())) {
                        copied.add(count);
                    }
                    count++;
                } else if (parameter.role() != HandleParameter.Role.OUT && !xy) {
                    plan.add(-count); // the shadow of the argument just counted: -1 - (count - 1)
                }
            }
            MethodHandle[] fields = shape.restoredFields().stream().map(f -> StaticFieldReads.getter(statics,
                    f.field()).asType(MethodType.methodType(Object.class))).toArray(MethodHandle[]::new);
            return new Layout(plan.stream().mapToInt(Integer::intValue).toArray(),
                    copied.stream().mapToInt(Integer::intValue).toArray(), fields);
        }
    }

    private final int[] plan;
    private final int[] copied;
    private final MethodHandle[] fields;
    /** Whether the rest holds shadows; when it does not and nothing is copied, a sweep needs no preparing. */
    private final boolean carries;
    private final Object[] rest;
    /** The copied leaves and arrays of the call under way: the parameters', then the static fields'. */
    private final Object[] restored;
    /** Per copied leaf or array, its values at the entry of the call under way. */
    private final Object[] saved;
    /** Per rest slot holding a shadow: a {@code double[]} for unbatched sweeps, lane tables by width for batched. */
    private final double[][] arrays;
    private final Map<Integer, LaneTable[]> laneTables = new HashMap<>();
    private LaneTable[] lanes;
    private boolean swept;

    JacobianSweepArguments(Layout layout) {
        this.plan = layout.plan();
        this.copied = layout.copied();
        this.fields = layout.fields();
        this.rest = new Object[plan.length];
        this.restored = new Object[copied.length + fields.length];
        this.saved = new Object[restored.length];
        this.arrays = new double[plan.length][];
        this.carries = Arrays.stream(plan).anyMatch(k -> k < 0);
    }

    /**
     * The rest of the handle's arguments for sweeps of {@code width} lanes (1: shadows are arrays; more: lane
     * tables), after saving the state at entry of the copied leaves and arrays. {@link #end} must follow.
     *
     * @throws NullPointerException naming a restored static field that holds null
     */
    Object[] begin(Object[] arguments, int width) throws Throwable {
        this.swept = false;
        for (int k = 0; k < copied.length; k++) {
            restored[k] = arguments[copied[k]];
        }
        for (int k = 0; k < fields.length; k++) {
            restored[copied.length + k] = (Object) fields[k].invokeExact();
        }
        for (int k = 0; k < restored.length; k++) {
            Object leaf = restored[k];
            int length = Array.getLength(leaf);
            if (saved[k] == null || saved[k].getClass() != leaf.getClass()
                    || Array.getLength(saved[k]) != length) {
                saved[k] = Array.newInstance(leaf.getClass().componentType(), length);
            }
            System.arraycopy(leaf, 0, saved[k], 0, length);
        }
        // Only for shadows: with a map lookup per call the 20x20 Lorenz-96 Jacobian (one sweep) read 274-281 ns
        // against 259-265 ns before this class (./bench, 15 rounds, alternated, load 11-12); without it 270-278 ns,
        // no difference this machine's noise resolves. No capturing lambda (computeIfAbsent): one per call.
        lanes = carries && width > 1 ? laneTables.get(width) : null;
        if (carries && width > 1 && lanes == null) {
            lanes = new LaneTable[plan.length];
            laneTables.put(width, lanes);
        }
        for (int k = 0; k < plan.length; k++) {
            if (plan[k] >= 0) {
                rest[k] = arguments[plan[k]];
                continue;
            }
            int length = ((double[]) arguments[-1 - plan[k]]).length;
            if (lanes != null) {
                if (lanes[k] == null) {
                    lanes[k] = new LaneTable(width);
                }
                rest[k] = lanes[k].ensure(length);
            } else {
                if (arrays[k] == null || arrays[k].length != length) {
                    arrays[k] = new double[length];
                }
                rest[k] = arrays[k];
            }
        }
        return rest;
    }

    /** Before each sweep: copied leaves and arrays back at their state at entry (after the first), shadows zeroed. */
    void beforeSweep() {
        if (restored.length == 0 && !carries) {
            return;
        }
        if (swept) {
            for (int k = 0; k < restored.length; k++) {
                System.arraycopy(saved[k], 0, restored[k], 0, Array.getLength(saved[k]));
            }
        }
        swept = true;
        for (int k = 0; k < plan.length; k++) {
            if (plan[k] < 0) {
                if (lanes != null) {
                    lanes[k].clear();
                } else {
                    Arrays.fill(arrays[k], 0);
                }
            }
        }
    }

    /** After the call: drops the references to its arguments (the thread keeps only its buffers). */
    void end() {
        Arrays.fill(rest, null);
        Arrays.fill(restored, null);
    }
}
