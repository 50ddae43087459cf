package jenzyme.runtime;

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

/**
 * One thread's arguments for the sweeps of a {@link Jacobian} other than x and y (the handle's {@code rest}), and
 * the state every sweep starts from when the method writes the fields of an object from the JVM
 * ({@code lower.ObjectLayout}) or an array parameter other than x and y ({@link JacobianShape#restoredBetweenSweeps}).
 *
 * <p>Each sweep runs the whole method, so without help the second sweep would start from the fields or the array
 * the first one wrote. {@link #begin} copies the leaves such an object travels as (its number fields' {@code
 * double[]}, its {@code long[]}, its own arrays) and such arrays, and {@link #beforeSweep} puts them back before
 * every sweep after the first: every sweep differentiates the method at the state the call began in, and after the
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
     */
    record Layout(int[] plan, int[] copied) {

        /**
         * From the handle's parameters (null for a lambda, which is an argument): the rest holds, in order, the
         * arguments other than x and y and the shadows of the Duplicated ones among them (the carried arrays).
         */
        static Layout of(List<HandleParameter> parameters, JacobianShape shape) {
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
            return new Layout(plan.stream().mapToInt(Integer::intValue).toArray(),
                    copied.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    private final int[] plan;
    private final int[] copied;
    /** Whether the rest holds shadows; when it does not and nothing is copied, a sweep needs no preparing. */
    private final boolean carries;
    private final Object[] rest;
    /** Per copied leaf or array, its values at the entry of the call under way. */
    private final Object[] saved;
    /** Per rest slot holding a shadow: a {@code double[]} for unbatched sweeps, lane tables by width for batched. */
    private final double[][] arrays;
    private final Map<Integer, LaneTable[]> laneTables = new HashMap<>();
    private LaneTable[] lanes;
    private Object[] arguments;
    private boolean swept;

    JacobianSweepArguments(Layout layout) {
        this.plan = layout.plan();
        this.copied = layout.copied();
        this.rest = new Object[plan.length];
        this.saved = new Object[copied.length];
        this.arrays = new double[plan.length][];
        this.carries = Arrays.stream(plan).anyMatch(k -> k < 0);
    }

    /**
     * The rest of the handle's arguments for sweeps of {@code width} lanes (1: shadows are arrays; more: lane
     * tables), after saving the state at entry of the copied leaves and arrays. {@link #end} must follow.
     */
    Object[] begin(Object[] arguments, int width) {
        this.arguments = arguments;
        this.swept = false;
        for (int k = 0; k < copied.length; k++) {
            Object leaf = arguments[copied[k]];
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
        if (copied.length == 0 && !carries) {
            return;
        }
        if (swept) {
            for (int k = 0; k < copied.length; k++) {
                System.arraycopy(saved[k], 0, arguments[copied[k]], 0, Array.getLength(saved[k]));
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
        arguments = null;
        Arrays.fill(rest, null);
    }
}
